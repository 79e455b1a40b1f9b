//! `vigil sbom`: inventory a target and write it out.

use anyhow::{Context, Result, bail};
use std::io::{IsTerminal, Write};
use std::time::Duration;
use vigil_cli::{SbomArgs, SbomFormat, TargetArgs};
use vigil_inventory::{Registry, ScanOptions};
use vigil_source::{OpenOptions, Progress, TargetKind};
use vigil_types::Inventory;

pub fn run(args: SbomArgs) -> Result<()> {
    let inventory = inventory(&args.target)?;
    let text = match args.format {
        SbomFormat::Json => vigil_sbom::to_json(&inventory)?,
        SbomFormat::Table => vigil_sbom::render_table(&inventory),
        SbomFormat::Cyclonedx => vigil_sbom::to_cyclonedx(&inventory)?,
        SbomFormat::Spdx => vigil_sbom::to_spdx(&inventory)?,
    };
    write_output(args.output.as_deref(), &text)
}

pub fn inventory(args: &TargetArgs) -> Result<Inventory> {
    let (kind, path) = vigil_source::parse_target(&args.target)?;
    if kind == TargetKind::Sbom {
        let bytes = read_bounded(std::path::Path::new(&path), MAX_SBOM_SIZE)?;
        return Ok(vigil_sbom::decode(&bytes, &path)?);
    }
    let opts = OpenOptions {
        platform: Some(args.platform.parse()?),
        host: if args.host {
            Some(true)
        } else if args.no_host {
            Some(false)
        } else {
            None
        },
        function_layers: args.function_layers.clone(),
    };
    let source = vigil_source::open(kind, &path, &opts)
        .with_context(|| format!("cannot open target `{}`", args.target))?;
    let total: u64 = source.layers.iter().map(|l| l.size_hint()).sum();
    let mut scan_opts = ScanOptions {
        threads: args.threads,
        ..ScanOptions::default()
    };
    for p in &args.deep_paths {
        let norm = vigil_source::normalize(p)
            .with_context(|| format!("invalid deep-inspection path `{p}`"))?;
        scan_opts.deep_paths.push(norm);
    }
    let registry = Registry::default();
    let progress = Progress::default();
    let show = !args.quiet && std::io::stderr().is_terminal();
    let bar = show.then(|| progress_bar(total));
    let done = std::sync::atomic::AtomicBool::new(false);
    let inv = std::thread::scope(|s| {
        if let Some(bar) = &bar {
            let progress = progress.clone();
            let done = &done;
            s.spawn(move || {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    bar.set_position(progress.get());
                    std::thread::sleep(Duration::from_millis(100));
                }
                bar.finish_and_clear();
            });
        }
        let inv = vigil_inventory::scan(source, &registry, &scan_opts, &progress);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        inv
    });
    Ok(inv)
}

/// Largest SBOM document read as input.
const MAX_SBOM_SIZE: u64 = 512 << 20;

pub fn read_bounded(path: &std::path::Path, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let f =
        std::fs::File::open(path).with_context(|| format!("cannot open `{}`", path.display()))?;
    let mut buf = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    if buf.len() as u64 > max {
        bail!("`{}` is larger than {max} bytes", path.display());
    }
    Ok(buf)
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    if total > 0 {
        let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} scanning [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            b.set_style(style.progress_chars("=> "));
        }
        b
    } else {
        let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} scanning: {pos} files") {
            b.set_style(style);
        }
        b
    }
}

/// Write to stdout, or atomically to a file (temporary file in the same directory, then rename).
pub fn write_output(path: Option<&std::path::Path>, text: &str) -> Result<()> {
    match path {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            if !text.ends_with('\n') {
                out.write_all(b"\n")?;
            }
            out.flush()?;
            Ok(())
        }
        Some(p) if !is_regular_or_new(p) => {
            // a device, FIFO or other special file (`-o /dev/stdout`, `-o /dev/null`): write
            // through it; renaming a temporary file over it would replace it
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(p)
                .with_context(|| format!("cannot open `{}`", p.display()))?;
            f.write_all(text.as_bytes())?;
            Ok(())
        }
        Some(p) => {
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("cannot create a file in `{}`", dir.display()))?;
            tmp.write_all(text.as_bytes())?;
            tmp.as_file().sync_all()?;
            tmp.persist(p)
                .with_context(|| format!("cannot write `{}`", p.display()))?;
            Ok(())
        }
    }
}

/// Whether `p` is a regular file or does not exist yet (so that it may be replaced atomically).
fn is_regular_or_new(p: &std::path::Path) -> bool {
    match std::fs::metadata(p) {
        Ok(m) => m.is_file(),
        Err(_) => true,
    }
}
