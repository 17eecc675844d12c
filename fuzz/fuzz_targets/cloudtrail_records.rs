//! CloudTrail's record format as the audit reads it: a delivered log file (`{"Records": [...]}`, streamed by
//! `for_each_record`) and one `LookupEvents` record (`parse_record`), with what the rules read of each record
//! (time, principal, its key and display). Input: the log file; each record's JSON is also parsed alone.
#![no_main]

use infra_audit::records::{Record, for_each_record, parse_record};
use libfuzzer_sys::fuzz_target;

fn read(record: &Record<'_>) {
    let _ = record.time();
    let _ = record.issuer();
    let principal = record.principal();
    let _ = principal.display();
    let _ = record.principal_key();
}

fuzz_target!(|data: &[u8]| {
    let mut seen = 0u64;
    if let Ok(count) = for_each_record(data, |record| {
        seen += 1;
        read(&record);
    }) {
        assert_eq!(count, seen, "the count returned is the records visited");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(record) = parse_record(text) {
            read(&record);
        }
    }
});
