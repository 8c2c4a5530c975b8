//! probe
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let engine: migration_studio::import::Engine = args[1].parse().unwrap();
    let mut imp = migration_studio::import::ddl::DdlImporter::new(engine);
    for f in &args[2..] {
        let text = std::fs::read_to_string(f).unwrap();
        let t = std::time::Instant::now();
        imp.add_script(f, &text).unwrap();
        eprintln!("{f}: {:?} {:?}", imp.summary(), t.elapsed());
    }
    let inv = imp.finish();
    println!("tables {} fks {} views {} triggers {}", inv.tables.len(), inv.foreign_key_count(), inv.views.len(), inv.triggers.len());
    for t in &inv.tables { println!("  {} pk={:?} fks={} rows={:?} part={:?}", t.name, t.primary_key, t.foreign_keys.len(), t.rows, t.partitioning.as_ref().map(|p| p.partitions.len())); }
    for v in &inv.views { println!("  view {} reads {:?}", v.name, v.reads.iter().map(|r| r.to_string()).collect::<Vec<_>>()); }
    for t in &inv.triggers { println!("  trig {} on {} writes {:?}", t.name, t.table, t.writes.iter().map(|r| r.to_string()).collect::<Vec<_>>()); }
    for f in &inv.findings { println!("  F {} {}:{:?} {}", f.code, f.source, f.line, f.message); }
}
