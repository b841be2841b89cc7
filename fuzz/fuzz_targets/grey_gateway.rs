//! grey-chain's gateway decision (`gateway::on_request`) on arbitrary header
//! lists, values not always UTF-8. Property: afterwards the tag header and
//! the baggage `lane` member are absent or exactly the lane a rule chose — a
//! client-sent lane never passes (`trustIncomingTag` is off).
#![no_main]

use grey_chain::baggage;
use grey_chain::config::Config;
use grey_chain::gateway::{on_request, Decision};
use grey_chain::headers::Headers;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// A request header map: repeated names joined with `,`, as the host does.
struct Map(Vec<(String, Vec<u8>)>);

impl Headers for Map {
    fn get(&self, name: &str) -> Option<String> {
        let values: Option<Vec<&str>> = self
            .0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| std::str::from_utf8(v).ok())
            .collect();
        let values = values?;
        (!values.is_empty()).then(|| values.join(","))
    }
    fn unreadable(&self, name: &str) -> bool {
        self.0
            .iter()
            .any(|(n, v)| n == name && std::str::from_utf8(v).is_err())
    }
    fn set(&mut self, name: &str, value: &str) {
        self.remove(name);
        self.0.push((name.to_string(), value.as_bytes().to_vec()));
    }
    fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| n != name);
    }
}

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let json = br#"{"mode": "gateway", "tagHeader": "x-grey", "lanes": ["grey", "blue"],
            "gateway": {"rules": [
                {"lane": "grey", "match": {"header": {"name": "end-user", "exact": "test"}}},
                {"lane": "blue", "percentage": 10, "hashBy": {"header": "x-jwt-sub"}}]}}"#;
        grey_chain::config::parse(json).expect("the target's config")
    })
}

fuzz_target!(|data: &[u8]| {
    let cfg = config();
    let gw = cfg.gateway.as_ref().expect("gateway mode");
    let mut map = Map(data
        .split(|&b| b == b'\n')
        .map(|line| {
            let at = line.iter().position(|&b| b == b':').unwrap_or(line.len());
            let (name, value) = line.split_at(at);
            let name = String::from_utf8_lossy(name).trim().to_ascii_lowercase();
            (name, value.get(1..).unwrap_or_default().to_vec())
        })
        .collect());
    let out = on_request(cfg, gw, &mut map);
    let chosen = match &out.decision {
        Decision::Rule { lane, .. } => Some(lane.as_str()),
        Decision::Trusted(lane) => panic!("trusted {lane} with trustIncomingTag off"),
        Decision::Baseline => None,
    };
    if let Some(lane) = chosen {
        assert!(cfg.lanes.iter().any(|l| l == lane));
    }
    assert!(!map.unreadable(&cfg.tag_header) && !map.unreadable("baggage"));
    assert_eq!(map.get(&cfg.tag_header).as_deref(), chosen, "{out:?}");
    let member = map
        .get("baggage")
        .and_then(|b| baggage::find(&b, &cfg.baggage_key));
    assert_eq!(
        member.as_deref(),
        chosen,
        "{out:?} {:?}",
        map.get("baggage")
    );
});
