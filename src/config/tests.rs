use super::*;

fn parse(text: &str) -> Result<Settings, ConfigError> {
    Settings::parse(text, Path::new("config/test.toml"))
}

#[test]
fn defaults_fill_an_empty_file() {
    let s = parse("").expect("empty config is valid");
    assert_eq!(s.fetch.timeout_secs.get(), 20);
    assert_eq!(s.fetch.max_body_bytes.get(), 15 * 1024 * 1024);
    assert!(!s.fetch.allow_private_networks);
    assert!(s.feeds.is_empty());
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let text = "[fetch]\ntimeout_secs = 5\n\n[[feeds]]\nurl = \"https://a.example/rss\"\n\n[[feeds]]\nurl = \"https://b.example/rss\"\nintervall_secs = 60\n";
    let err = parse(text).expect_err("typo must be rejected").to_string();
    assert!(err.starts_with("config/test.toml:9:1: key `feeds[1].intervall_secs`"), "{err}");
    assert!(err.contains("unknown field"), "{err}");
}

#[test]
fn bad_value_names_line_and_key() {
    let err = parse("[fetch]\nuser_agent = \"x\"\ntimeout_secs = 0\n").expect_err("zero timeout").to_string();
    assert!(err.starts_with("config/test.toml:3:"), "{err}");
    assert!(err.contains("key `fetch.timeout_secs`"), "{err}");
}

#[test]
fn malformed_line_is_located() {
    let err = parse("[poll]\ndefault_interval_secs = = 3\n").expect_err("syntax").to_string();
    assert!(err.starts_with("config/test.toml:2:"), "{err}");
}

#[test]
fn ratio_out_of_range_is_rejected() {
    let err = parse("[cluster]\nstory_threshold = 1.5\n").expect_err("range").to_string();
    assert!(err.contains("cluster.story_threshold"), "{err}");
    assert!(err.contains("outside"), "{err}");
}

#[test]
fn feed_path_becomes_file_url_relative_to_config() {
    let s = parse("[[feeds]]\npath = \"../demo/feed.xml\"\n").expect("path feed");
    let url = &s.feeds[0].url;
    assert_eq!(url.scheme(), "file");
    assert!(url.path().ends_with("/demo/feed.xml"), "{url}");
}

#[test]
fn duplicate_feed_is_rejected_with_its_line() {
    let text = "[[feeds]]\nurl = \"https://a.example/rss\"\n[[feeds]]\nurl = \"https://a.example/rss\"\n";
    let err = parse(text).expect_err("duplicate").to_string();
    assert!(err.starts_with("config/test.toml:4:"), "{err}");
    assert!(err.contains("feeds[1].url"), "{err}");
}

#[test]
fn unsupported_scheme_is_rejected() {
    let err = parse("[[feeds]]\nurl = \"ftp://a.example/rss\"\n").expect_err("ftp").to_string();
    assert!(err.contains("feeds[0].url") && err.contains("ftp"), "{err}");
}

#[test]
fn invalid_css_selector_is_rejected() {
    let err = parse("[[feeds]]\nurl = \"https://a.example/rss\"\nbody_selector = \"div[\"\n")
        .expect_err("selector")
        .to_string();
    assert!(err.contains("invalid CSS selector"), "{err}");
}

#[test]
fn shipped_production_config_uses_the_documented_cluster_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/feeds.toml");
    let s = Settings::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let shipped = serde_json::to_value(&s.cluster).expect("serialises");
    let defaults = serde_json::to_value(ClusterConfig::default()).expect("serialises");
    assert_eq!(shipped, defaults, "config/feeds.toml's [cluster] must equal the defaults the docs report");
    assert_eq!(s.engine, EngineConfig::default(), "config/feeds.toml's [engine] must equal the defaults");
}

#[test]
fn shipped_configs_parse() {
    for file in ["config/feeds.toml", "config/demo.toml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let s = Settings::load(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!s.feeds.is_empty(), "{file} lists feeds");
    }
}
