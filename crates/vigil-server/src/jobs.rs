//! The server's background jobs (advisory re-evaluation, suppression-rule expiry, ...): each
//! runs on its own interval, one run at a time, and its status is visible through
//! `POST /vigil/v1/jobs/list` (state, runs, failures, last start and finish, duration, last
//! error and last result); `POST /vigil/v1/jobs/run {"name"}` runs one now and answers its
//! result.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::{ApiError, App};

/// A job: its name, interval and body.
pub struct Job {
    pub name: &'static str,
    pub description: &'static str,
    pub every: Duration,
    pub run: fn(&App) -> Result<Value, String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    pub name: &'static str,
    pub description: &'static str,
    pub interval_seconds: u64,
    /// IDLE or RUNNING.
    pub state: &'static str,
    pub runs: u64,
    pub failures: u64,
    pub last_started_at: Option<String>,
    pub last_finished_at: Option<String>,
    pub last_duration_ms: Option<u64>,
    pub last_error: Option<String>,
    pub last_result: Option<Value>,
}

/// The registry of jobs and their status.
pub struct Jobs {
    jobs: Vec<Job>,
    status: Mutex<BTreeMap<&'static str, JobStatus>>,
    /// Held while a job runs, so that runs never overlap (scheduled or asked for).
    running: Mutex<()>,
}

impl Jobs {
    pub fn new(jobs: Vec<Job>) -> Jobs {
        let mut out = Jobs {
            jobs: Vec::new(),
            status: Mutex::new(BTreeMap::new()),
            running: Mutex::new(()),
        };
        for j in jobs {
            out.add(j);
        }
        out
    }

    /// Adds a job (before the server starts scheduling).
    pub fn add(&mut self, job: Job) {
        if let Ok(mut s) = self.status.lock() {
            s.insert(
                job.name,
                JobStatus {
                    name: job.name,
                    description: job.description,
                    interval_seconds: job.every.as_secs(),
                    state: "IDLE",
                    runs: 0,
                    failures: 0,
                    last_started_at: None,
                    last_finished_at: None,
                    last_duration_ms: None,
                    last_error: None,
                    last_result: None,
                },
            );
        }
        self.jobs.push(job);
    }

    pub fn schedule(&self) -> Vec<(&'static str, Duration)> {
        self.jobs.iter().map(|j| (j.name, j.every)).collect()
    }

    pub fn list(&self) -> Vec<JobStatus> {
        self.status
            .lock()
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default()
    }

    fn update(&self, name: &str, f: impl FnOnce(&mut JobStatus)) {
        if let Ok(mut s) = self.status.lock()
            && let Some(st) = s.get_mut(name)
        {
            f(st);
        }
    }

    /// Runs the job named `name` now (waiting for a run in progress to end first).
    pub fn run(&self, app: &App, name: &str) -> Result<Value, ApiError> {
        let job = self
            .jobs
            .iter()
            .find(|j| j.name == name)
            .ok_or_else(|| ApiError::not_found(&format!("no job named `{name}`")))?;
        let _one_at_a_time = self
            .running
            .lock()
            .map_err(|_| ApiError::internal("job lock poisoned"))?;
        let now = || vigil_store::timestamp(OffsetDateTime::now_utc());
        self.update(name, |s| {
            s.state = "RUNNING";
            s.last_started_at = Some(now());
        });
        let t = Instant::now();
        let out = (job.run)(app);
        let ms = t.elapsed().as_millis() as u64;
        self.update(name, |s| {
            s.state = "IDLE";
            s.runs += 1;
            s.last_finished_at = Some(now());
            s.last_duration_ms = Some(ms);
            match &out {
                Ok(v) => {
                    s.last_error = None;
                    s.last_result = Some(v.clone());
                }
                Err(e) => {
                    s.failures += 1;
                    s.last_error = Some(e.clone());
                }
            }
        });
        match out {
            Ok(v) => Ok(v),
            Err(e) => {
                tracing::warn!(job = name, "job failed: {e}");
                Err(ApiError::internal(&format!("job {name} failed: {e}")))
            }
        }
    }
}
