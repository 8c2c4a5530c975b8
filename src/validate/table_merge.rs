//! Validation of a table merged into another ([`crate::mapping::spec::table_merge`]). The
//! merged table's values are compared through its partner's report (read in by key on the
//! source side); what that comparison cannot see is a merged row whose key has no partner row
//! (an orphan), which has no row in the target to arrive in. Its report here counts them from
//! the source: `source_rows` the merged table's rows, `target_rows` those with a partner, and
//! each orphan's key as missing.

use crate::db::{quote, Database};
use crate::inventory::Table;

use super::report::{Strategy, TableReport};
use super::row_hash::{key_text, KeyPart};

/// The report of `merged` (merged into `into`, whose target table is `target_name`), read
/// from the `source` database; up to `show` orphan keys are listed, in key order.
pub async fn report(
    source: &Database,
    into: &Table,
    merged: &Table,
    target_name: &str,
    strategy: Strategy,
    show: usize,
) -> TableReport {
    let name = merged.name.to_string();
    let started = std::time::Instant::now();
    let mut report = TableReport::not_compared(&name, target_name, strategy, String::new());
    report.error = None;
    match orphans(source, into, merged, show).await {
        Ok((rows, orphans, first)) => {
            report.source_rows = rows;
            report.target_rows = rows - orphans;
            report.differences.missing.count = orphans;
            report.differences.missing.first = first;
            report.notes.push(format!(
                "merged into {}: its values are compared in that table's report; here, its rows without a partner row there",
                into.name
            ));
        }
        Err(e) => report.error = Some(e.to_string()),
    }
    report.decide();
    report.seconds = started.elapsed().as_secs_f64();
    report
}

/// The merged table's row count, its orphans' count and up to `show` of their keys.
async fn orphans(
    source: &Database,
    into: &Table,
    merged: &Table,
    show: usize,
) -> Result<(u64, u64, Vec<String>), String> {
    let e = source.engine;
    let inner = quote::table(e, &merged.name);
    let orphan = crate::mapping::spec::table_merge::orphan_condition(
        e,
        &into.name,
        &into.primary_key,
        merged,
        &inner,
    );
    let rows = source
        .count_rows(&merged.name)
        .await
        .map_err(|e| e.to_string())?;
    let orphans = source
        .fetch_i64(
            &format!("SELECT count(*) FROM {inner} WHERE {orphan}"),
            &[],
            "counting a merged table's rows without a partner",
        )
        .await
        .map_err(|e| e.to_string())?
        .unwrap_or(0)
        .max(0) as u64;
    let mut first = Vec::new();
    if orphans > 0 && show > 0 {
        let spec = crate::mapping::spec::table_merge::orphan_read(
            e,
            &into.name,
            &into.primary_key,
            merged,
        )
        .map_err(|err| err.to_string())?;
        let fragment = spec.select(None, None, Some(show));
        let rows = crate::data::read::read_fragment(source, &spec, &fragment)
            .await
            .map_err(|e| e.to_string())?;
        for row in rows {
            let parts: Vec<KeyPart> = spec
                .key
                .iter()
                .map(|&i| KeyPart::of(&row[i], &spec.columns[i].logical))
                .collect();
            first.push(key_text(&parts));
        }
    }
    Ok((rows, orphans, first))
}
