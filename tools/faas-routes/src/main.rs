//! `faas-routes check CONFIG.json|wasmplugin.yaml`: see the crate README.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    std::process::exit(faas_routes::run(&args, &mut out, &mut err));
}
