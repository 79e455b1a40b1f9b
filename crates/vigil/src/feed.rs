//! `vigil db update|push|keygen`: feeds over HTTP(S)/file:// and signed OCI artifacts.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use vigil_cli::{DbKeygenArgs, DbPushArgs, DbUpdateArgs, InfoFormat};
use vigil_feed::{Feed, oci, sign};
use vigil_osv::Database;

use crate::db::db_path;

fn work_dir(db: &Path) -> Result<PathBuf> {
    let parent = match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create `{}`", parent.display()))?;
    Ok(parent)
}

pub fn update(a: DbUpdateArgs) -> Result<()> {
    let db = db_path(&a.db)?;
    if let Some(from) = a.from.as_deref().filter(|f| f.starts_with("oci://")) {
        return pull(&db, from, &a.trusted_keys, a.allow_insecure);
    }
    let feeds: Vec<Feed> = match (&a.from, &a.feeds) {
        (Some(url), _) => vec![Feed {
            name: url.clone(),
            url: url.clone(),
        }],
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read feeds file `{}`", file.display()))?;
            vigil_feed::parse_feeds(&text, &file.display().to_string())?
        }
        (None, None) => vigil_feed::default_feeds(),
    };
    let report = vigil_feed::update::update(&db, &feeds, a.allow_insecure)?;
    let (lines, failures) = (report.feeds, report.failures);
    let seconds = report.seconds;
    match a.format {
        InfoFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "feeds": lines, "seconds": seconds
            }))?
        ),
        InfoFormat::Table => {
            for l in &lines {
                let mut s = format!(
                    "{}: {}",
                    l["feed"].as_str().unwrap_or(""),
                    l["result"].as_str().unwrap_or("")
                );
                if let Some(n) = l["advisories"].as_u64() {
                    s.push_str(&format!(
                        " ({n} advisories, {} enrichment rows, {} bytes{})",
                        l["enrichments"].as_u64().unwrap_or(0),
                        l["bytes"].as_u64().unwrap_or(0),
                        match l["resumedFrom"].as_u64() {
                            Some(r) if r > 0 => format!(", resumed at byte {r}"),
                            _ => String::new(),
                        }
                    ));
                }
                if let Some(e) = l["error"].as_str() {
                    s.push_str(&format!(": {e}"));
                }
                println!("{s}");
            }
        }
    }
    if !failures.is_empty() {
        bail!(
            "{} of {} feeds failed (the others were updated): {}",
            failures.len(),
            feeds.len(),
            failures.join("; ")
        );
    }
    Ok(())
}

fn pull(db: &Path, from: &str, keys: &[PathBuf], allow_insecure: bool) -> Result<()> {
    let reference = oci::Reference::parse(from)?;
    let trusted = keys
        .iter()
        .map(|k| sign::load_public(&k.display().to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let dir = work_dir(db)?;
    let pulled = oci::pull(&reference, &trusted, &dir, allow_insecure)?;
    // a database that does not open is never installed
    let check = Database::open(&pulled.path).and_then(|d| d.status());
    let st = match check {
        Ok(st) => st,
        Err(e) => {
            let _ = std::fs::remove_file(&pulled.path);
            bail!("pulled database is unusable: {e}");
        }
    };
    // a validly signed but older database (a replayed tag) must not roll the data back
    let when = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    };
    if let Ok(current) = Database::open(db).and_then(|d| d.status())
        && let (Some(new), Some(old)) = (when(&st.built_at), when(&current.built_at))
        && new < old
    {
        let _ = std::fs::remove_file(&pulled.path);
        bail!(
            "{from} holds a database built {} , older than the installed one (built {}); refusing to roll back",
            st.built_at,
            current.built_at
        );
    }
    std::fs::rename(&pulled.path, db)
        .with_context(|| format!("cannot replace `{}`", db.display()))?;
    println!(
        "{}: pulled {from} ({}, signed {} by key {}): {} advisories",
        db.display(),
        pulled.layer_digest,
        pulled.created,
        pulled.key_id,
        st.advisories
    );
    Ok(())
}

pub fn push(a: DbPushArgs) -> Result<()> {
    let db = db_path(&a.db)?;
    Database::open(&db).with_context(|| format!("cannot push `{}`", db.display()))?;
    let target = oci::Reference::parse(&a.target)?;
    let key = sign::load_secret(&a.key)?;
    let p = oci::push(&db, &target, &key, a.allow_insecure)?;
    println!(
        "pushed {} to {} ({} , layer {} of {} bytes, signed by key {})",
        db.display(),
        a.target,
        p.manifest_digest,
        p.layer_digest,
        p.layer_size,
        p.key_id
    );
    Ok(())
}

pub fn keygen(a: DbKeygenArgs) -> Result<()> {
    let (secret, public) = sign::generate()?;
    let key_path = PathBuf::from(format!("{}.key", a.name.display()));
    let pub_path = PathBuf::from(format!("{}.pub", a.name.display()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&key_path)
        .with_context(|| format!("cannot create `{}` (it must not exist)", key_path.display()))?;
    f.write_all(secret.as_bytes())
        .with_context(|| format!("cannot write `{}`", key_path.display()))?;
    std::fs::write(&pub_path, &public)
        .with_context(|| format!("cannot write `{}`", pub_path.display()))?;
    let id = sign::key_id(&sign::load_public(&public)?);
    println!(
        "wrote {} (secret, mode 0600) and {} (public; key id {id})",
        key_path.display(),
        pub_path.display()
    );
    Ok(())
}
