//! Times reading and importing a VirtualService file: `cargo run --release -p faas-routes --example import_timing -- FILE`.

fn main() {
    let Some(file) = std::env::args().nth(1) else {
        eprintln!("usage: import_timing FILE");
        std::process::exit(2);
    };
    let Ok(text) = std::fs::read_to_string(&file) else {
        eprintln!("cannot read {file}");
        std::process::exit(2);
    };
    let t0 = std::time::Instant::now();
    let vss = match faas_routes::virtual_service::read(&file, &text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let t1 = std::time::Instant::now();
    let n = vss.len();
    match faas_routes::import::import(vss, "/faas/api/") {
        Ok(i) => eprintln!(
            "{n} VirtualServices: read {:?}, import {:?}, {} findings",
            t1 - t0,
            t1.elapsed(),
            i.findings.len()
        ),
        Err(e) => eprintln!("{e}"),
    }
}
