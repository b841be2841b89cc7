//! Prints the generated VirtualService corpus: `cargo run -p faas-routes --example corpus -- 700`.

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(700);
    print!("{}", faas_routes::corpus::generate(n));
}
