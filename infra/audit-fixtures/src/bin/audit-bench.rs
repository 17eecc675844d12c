//! `cargo xtask bench audit`: the audit over a year of CloudTrail log files, as `cargo xtask audit --logs DIR
//! --public-keys DIR/keys.json --checks changes,integrity` runs it, built with `--release`.
//!
//! Usage: `audit-bench OUT_DIR [--days N] [--files-per-hour N] [--records-per-file N]`. Generates (once, cached
//! under `OUT_DIR/audit-year/`) a multi-region trail's log files and signed digest chains, then runs three child
//! processes on it so that each reports its own peak memory (`VmHWM`):
//! - `idle`: the process doing nothing (the memory floor);
//! - `floor`: inflate + SHA-256 of every log file, then inflate + SHA-256 + a JSON parse that keeps nothing (the
//!   speed floor: what reading the data costs before any audit logic);
//! - `run`: the audit itself.
//!
//! Writes `OUT_DIR/audit.md` and `OUT_DIR/audit.json`. A report, not a test: it fails only when the audit's
//! result is wrong (integrity problems or missing findings in the generated set).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, TimeDelta, Utc};
use flate2::read::MultiGzDecoder;
use infra_audit::audit::{KeySource, Options, Parts, Progress, Source, run};
use infra_audit::catalogue::Catalogue;
use infra_audit::engine::{Filter, Window};
use infra_audit::keys::PublicKeys;
use infra_audit::layout::{ObjectKind, classify};
use infra_audit::report::SourceSummary;
use infra_audit::rules::RuleSet;
use infra_audit::store::Store;
use infra_audit_fixtures::records::{background, security_events};
use infra_audit_fixtures::scenario::{Keys, trail};
use infra_audit_fixtures::writer::{ChainWriter, LogFile, Tamper, stamp, write_dir};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Size {
    days: u32,
    files_per_hour: u32,
    records_per_file: u32,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("idle") => print_json(&json!({ "peak_kib": peak_kib() })),
        Some("floor") => floor(Path::new(args.get(1).context("floor DIR")?)),
        Some("run") => measured_run(Path::new(args.get(1).context("run DIR")?)),
        Some(out) => {
            let mut size = Size { days: 365, files_per_hour: 12, records_per_file: 20 };
            let mut rest = args[1..].iter();
            while let Some(flag) = rest.next() {
                let value: u32 = rest.next().context("a number after the flag")?.parse()?;
                match flag.as_str() {
                    "--days" => size.days = value,
                    "--files-per-hour" => size.files_per_hour = value,
                    "--records-per-file" => size.records_per_file = value,
                    other => bail!("unknown flag {other}"),
                }
            }
            bench(Path::new(out), size)
        }
        None => bail!("usage: audit-bench OUT_DIR [--days N] [--files-per-hour N] [--records-per-file N]"),
    }
}

fn print_json(value: &Value) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{value}")?;
    Ok(())
}

/// Peak resident memory of this process so far, in KiB (Linux `VmHWM`).
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// CPU time (user + system) of this process so far, in seconds. On a shared machine wall time depends on the
/// other load; CPU time does not.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of proc(5) (utime, stime), counted from the state field (3), in clock ticks (100/s).
    (ticks(11) + ticks(12)) / 100.0
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-11-20T00:01:31Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

/// Writes the year: eu-west-1 with `files_per_hour` log files an hour, us-east-1 (global services) with one,
/// both with hourly signed digests; one security-event record every 500 log files.
fn generate(dir: &Path, size: Size) -> Result<u64> {
    let keys = Keys::generate();
    let trail = trail();
    let events = security_events();
    let mut serial = 0u64;
    let mut records = 0u64;
    let mut event_index = 0usize;
    let mut files = 0u64;
    for (region, per_hour) in [("eu-west-1", size.files_per_hour), ("us-east-1", 1)] {
        let mut chain = ChainWriter::new(&trail, region, keys.for_region(region));
        let mut objects = Vec::new();
        for hour in 0..(size.days * 24) {
            let from = start() + TimeDelta::hours(i64::from(hour));
            let to = from + TimeDelta::hours(1);
            let step = 3600 / i64::from(per_hour);
            let mut logs: Vec<LogFile> = Vec::new();
            for f in 0..per_hour {
                let at = from + TimeDelta::seconds(step * i64::from(f + 1) - 60);
                let mut content = Vec::with_capacity(size.records_per_file as usize * 1100);
                content.extend_from_slice(b"{\"Records\":[");
                for r in 0..size.records_per_file {
                    if r > 0 {
                        content.push(b',');
                    }
                    serial += 1;
                    background(&mut content, serial, at - TimeDelta::seconds(i64::from(size.records_per_file - r)), region);
                }
                files += 1;
                if files.is_multiple_of(500) {
                    let mut event = events[event_index % events.len()].clone();
                    event_index += 1;
                    event["eventTime"] = json!(stamp(at - TimeDelta::seconds(30)));
                    event["awsRegion"] = json!(region);
                    content.push(b',');
                    content.extend_from_slice(&serde_json::to_vec(&event)?);
                    records += 1;
                }
                content.extend_from_slice(b"]}");
                records += u64::from(size.records_per_file);
                let id = format!("{serial:016x}");
                logs.push(trail.log_file_from_json(region, at, &id, &content, Some(at - TimeDelta::minutes(5)), Some(at)));
            }
            let listed: Vec<&LogFile> = logs.iter().collect();
            objects.push(chain.digest(from, to, &listed, Tamper::None));
            objects.extend(logs.into_iter().map(|l| l.object));
            if objects.len() > 2000 {
                write_dir(dir, &objects)?;
                objects.clear();
            }
        }
        write_dir(dir, &objects)?;
    }
    std::fs::write(dir.join("keys.json"), serde_json::to_vec_pretty(&keys.published())?)?;
    Ok(records)
}

fn log_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir)
                && matches!(classify(&relative.to_string_lossy()), ObjectKind::LogFile(_))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What reading the data costs: inflate + SHA-256 (the integrity check's floor), and inflate + SHA-256 + a JSON
/// parse that builds nothing (the least any audit of both kinds must do).
fn floor(dir: &Path) -> Result<()> {
    let files = log_files(dir)?;
    let mut buffer = Vec::new();
    let (mut bytes, mut compressed) = (0u64, 0u64);
    let started = Instant::now();
    for path in &files {
        let body = std::fs::read(path)?;
        compressed += body.len() as u64;
        buffer.clear();
        MultiGzDecoder::new(body.as_slice()).read_to_end(&mut buffer)?;
        bytes += buffer.len() as u64;
        let _ = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &buffer);
    }
    let hash_seconds = started.elapsed().as_secs_f64();
    let hash_cpu = cpu_seconds();
    let started = Instant::now();
    let mut records = 0u64;
    for path in &files {
        let body = std::fs::read(path)?;
        buffer.clear();
        MultiGzDecoder::new(body.as_slice()).read_to_end(&mut buffer)?;
        let _ = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &buffer);
        let parsed: RecordsOnly = serde_json::from_slice(&buffer)?;
        records += parsed.records.len() as u64;
    }
    let parse_seconds = started.elapsed().as_secs_f64();
    print_json(&json!({
        "files": files.len(), "bytes": bytes, "compressed_bytes": compressed, "records": records,
        "inflate_hash_seconds": hash_seconds, "inflate_parse_seconds": parse_seconds,
        "inflate_hash_cpu_seconds": hash_cpu, "inflate_parse_cpu_seconds": cpu_seconds() - hash_cpu, "peak_kib": peak_kib(),
    }))
}

#[derive(serde::Deserialize)]
struct RecordsOnly {
    #[serde(rename = "Records")]
    records: Vec<serde::de::IgnoredAny>,
}

/// The audit, exactly as `cargo xtask audit --logs DIR --public-keys DIR/keys.json --checks changes,integrity`.
fn measured_run(dir: &Path) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let root = infra_check_root();
    let started = Instant::now();
    let catalogue = Catalogue::load(&root, "prod")?;
    let rules = RuleSet::built_in(&catalogue)?;
    let mut keys = PublicKeys::default();
    keys.add_file(&dir.join("keys.json"))?;
    let options = Options {
        parts: Parts { changes: true, health: false, integrity: true },
        window: Window::default(),
        filter: Filter::default(),
        now: start() + TimeDelta::days(400),
    };
    let (mut listed, mut scanning) = (None, None);
    let report = runtime.block_on(run(
        &catalogue,
        &rules,
        Source::Logs(Store::dir(dir)),
        Some(KeySource::Loaded(keys)),
        None,
        &options,
        &mut |progress| match progress {
            Progress::Listed { .. } => listed = Some(started.elapsed().as_secs_f64()),
            Progress::LogFiles { .. } if scanning.is_none() => scanning = Some(started.elapsed().as_secs_f64()),
            _ => {}
        },
    ))?;
    let seconds = started.elapsed().as_secs_f64();
    let Some(SourceSummary::Logs { scan, .. }) = report.sources.first() else { bail!("no log source in the report") };
    let integrity = report.integrity.as_ref().context("no integrity report")?;
    print_json(&json!({
        "seconds": seconds, "cpu_seconds": cpu_seconds(), "records": scan.records, "files": scan.log_files, "bytes": scan.bytes,
        "compressed_bytes": scan.compressed_bytes, "findings": report.findings.len(),
        "digests": integrity.chains.iter().map(|c| c.digests_verified).sum::<u64>(),
        "log_files_verified": integrity.log_files_verified, "problems": integrity.problems.len(), "peak_kib": peak_kib(),
        "phases": { "list_seconds": listed, "digests_seconds": scanning.zip(listed).map(|(s, l)| s - l),
                    "scan_seconds": scanning.map(|s| seconds - s) },
    }))
}

fn infra_check_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn child(mode: &str, dir: Option<&Path>) -> Result<Value> {
    let exe = std::env::current_exe()?;
    let mut command = Command::new(exe);
    command.arg(mode);
    if let Some(dir) = dir {
        command.arg(dir);
    }
    let output = command.output().with_context(|| format!("running audit-bench {mode}"))?;
    if !output.status.success() {
        bail!("audit-bench {mode} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).unwrap_or("?").trim().to_owned();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib: u64 =
        meminfo.lines().find(|l| l.starts_with("MemTotal:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().next().unwrap_or("?").to_owned();
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "memory_gib": memory_kib as f64 / 1024.0 / 1024.0,
        "kernel": kernel,
        "load_1min_at_start": load,
    })
}

fn bench(out: &Path, size: Size) -> Result<()> {
    let dir = out.join("audit-year");
    let stamp_file = dir.join(".generated");
    let wanted = format!("{size:?}");
    let generated_in = if std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == wanted) {
        eprintln!("bench audit: reusing {}", dir.display());
        None
    } else {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        eprintln!("bench audit: generating {} days of log files in {} ...", size.days, dir.display());
        let started = Instant::now();
        let records = generate(&dir, size)?;
        std::fs::write(&stamp_file, &wanted)?;
        Some((started.elapsed().as_secs_f64(), records))
    };
    let machine = machine();
    eprintln!("bench audit: idle process, floor (inflate + hash, inflate + parse), audit ...");
    let idle = child("idle", None)?;
    let floor = child("floor", Some(&dir))?;
    let audit = child("run", Some(&dir))?;
    let problems = audit["problems"].as_u64().unwrap_or(u64::MAX);
    let findings = audit["findings"].as_u64().unwrap_or(0);
    if problems != 0 || findings == 0 || audit["records"] != floor["records"] {
        bail!("the audit's result is wrong for the generated set (it is intact and holds security events): {audit}");
    }
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(0.0);
    let records = f(&audit, "records");
    let mib = |bytes: f64| bytes / 1024.0 / 1024.0;
    let result = json!({
        "machine": machine,
        "size": { "days": size.days, "files_per_hour_home_region": size.files_per_hour, "records_per_file": size.records_per_file,
                  "log_files": audit["files"], "digests": audit["digests"], "records": audit["records"],
                  "uncompressed_mib": mib(f(&audit, "bytes")), "compressed_mib": mib(f(&audit, "compressed_bytes")) },
        "generated_seconds": generated_in.map(|g| g.0),
        "audit": { "seconds": f(&audit, "seconds"), "cpu_seconds": f(&audit, "cpu_seconds"),
                   "records_per_second": records / f(&audit, "seconds"),
                   "records_per_cpu_second": records / f(&audit, "cpu_seconds"),
                   "mib_per_second": mib(f(&audit, "bytes")) / f(&audit, "seconds"), "peak_mib": f(&audit, "peak_kib") / 1024.0,
                   "findings": findings, "log_files_verified": audit["log_files_verified"], "phases": audit["phases"] },
        "floor": { "inflate_hash_seconds": f(&floor, "inflate_hash_seconds"), "inflate_parse_seconds": f(&floor, "inflate_parse_seconds"),
                   "inflate_hash_cpu_seconds": f(&floor, "inflate_hash_cpu_seconds"),
                   "inflate_parse_cpu_seconds": f(&floor, "inflate_parse_cpu_seconds"),
                   "inflate_parse_records_per_second": records / f(&floor, "inflate_parse_seconds"),
                   "inflate_parse_records_per_cpu_second": records / f(&floor, "inflate_parse_cpu_seconds"),
                   "peak_mib": f(&floor, "peak_kib") / 1024.0 },
        "idle_peak_mib": f(&idle, "peak_kib") / 1024.0,
    });
    std::fs::write(out.join("audit.json"), serde_json::to_vec_pretty(&result)?)?;
    let a = &result["audit"];
    let fl = &result["floor"];
    let s = &result["size"];
    let m = &result["machine"];
    let markdown = format!(
        "# Bench: `cargo xtask audit --logs` over a year of CloudTrail logs\n\n\
         Machine: {cpu}, {cores} cores, {mem:.1} GiB RAM, Linux {kernel} (load {load} at start: the machine is shared, \
         so wall times vary with the other load; CPU times are the steadier measure). Release build, one thread.\n\n\
         Data (generated, `infra/audit-fixtures`): {days} days, a multi-region trail (eu-west-1: {fph} log files/hour; \
         us-east-1: 1/hour), {files} log files, {digests} signed digests, {recs} records ({raw:.0} MiB of JSON, \
         {gz:.0} MiB gzip).\n\n\
         | measure | audit (rules + integrity) | floor: inflate + SHA-256 | floor: inflate + SHA-256 + JSON parse, nothing kept | idle process |\n\
         |---|---:|---:|---:|---:|\n\
         | wall time | {at:.1} s | {fht:.1} s | {fpt:.1} s | |\n\
         | CPU time (user + system) | {ac:.1} s | {fhc:.1} s | {fpc:.1} s | |\n\
         | records/s (wall) | {ars:.0} | | {frs:.0} | |\n\
         | records per CPU second | {arc:.0} | | {frc:.0} | |\n\
         | MiB/s (uncompressed, wall) | {amb:.0} | {fhm:.0} | {fpm:.0} | |\n\
         | peak memory (VmHWM) | {apk:.1} MiB | {fpk:.1} MiB (both floors) | | {ipk:.1} MiB |\n\n\
         The audit's time: {lst:.1} s listing the bucket copy, {dgt:.1} s verifying the digest chains, {sct:.1} s \
         reading, hashing and evaluating the log files.\n\n\
         The audit found {findings} findings and verified {verified} log files against {digests} digests, no \
         integrity problem (the set is intact). Memory is one inflated log file at a time plus the digests' \
         expectations (one entry per log file), so it grows with the number of files, not of records.\n",
        cpu = m["cpu"].as_str().unwrap_or("?"),
        cores = m["cores"],
        mem = m["memory_gib"].as_f64().unwrap_or(0.0),
        kernel = m["kernel"].as_str().unwrap_or("?"),
        load = m["load_1min_at_start"].as_str().unwrap_or("?"),
        days = size.days,
        fph = size.files_per_hour,
        files = s["log_files"],
        digests = s["digests"],
        recs = s["records"],
        raw = s["uncompressed_mib"].as_f64().unwrap_or(0.0),
        gz = s["compressed_mib"].as_f64().unwrap_or(0.0),
        at = a["seconds"].as_f64().unwrap_or(0.0),
        fht = fl["inflate_hash_seconds"].as_f64().unwrap_or(0.0),
        fpt = fl["inflate_parse_seconds"].as_f64().unwrap_or(0.0),
        ars = a["records_per_second"].as_f64().unwrap_or(0.0),
        ac = a["cpu_seconds"].as_f64().unwrap_or(0.0),
        fhc = fl["inflate_hash_cpu_seconds"].as_f64().unwrap_or(0.0),
        fpc = fl["inflate_parse_cpu_seconds"].as_f64().unwrap_or(0.0),
        arc = a["records_per_cpu_second"].as_f64().unwrap_or(0.0),
        frc = fl["inflate_parse_records_per_cpu_second"].as_f64().unwrap_or(0.0),
        frs = fl["inflate_parse_records_per_second"].as_f64().unwrap_or(0.0),
        amb = a["mib_per_second"].as_f64().unwrap_or(0.0),
        fhm = mib(f(&floor, "bytes")) / fl["inflate_hash_seconds"].as_f64().unwrap_or(1.0),
        fpm = mib(f(&floor, "bytes")) / fl["inflate_parse_seconds"].as_f64().unwrap_or(1.0),
        apk = a["peak_mib"].as_f64().unwrap_or(0.0),
        fpk = fl["peak_mib"].as_f64().unwrap_or(0.0),
        ipk = result["idle_peak_mib"].as_f64().unwrap_or(0.0),
        findings = findings,
        verified = a["log_files_verified"],
        lst = audit["phases"]["list_seconds"].as_f64().unwrap_or(0.0),
        dgt = audit["phases"]["digests_seconds"].as_f64().unwrap_or(0.0),
        sct = audit["phases"]["scan_seconds"].as_f64().unwrap_or(0.0),
    );
    std::fs::write(out.join("audit.md"), &markdown)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{markdown}\nwritten to {}", out.join("audit.md").display())?;
    Ok(())
}
