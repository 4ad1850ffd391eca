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
    // Known by the path as written, not by where the checkout is.
    assert_eq!(s.feeds[0].identity, "path:../demo/feed.xml");
    let url_feed = parse("[[feeds]]\nurl = \"https://a.example/rss\"\n").expect("url feed");
    assert_eq!(url_feed.feeds[0].identity, "https://a.example/rss");
}

#[test]
fn path_identity_ignores_spelling_only() {
    assert_eq!(super::path_identity(Path::new("./././demo/feed.xml")), "path:demo/feed.xml");
    assert_eq!(super::path_identity(Path::new("/srv/feeds/a.xml")), "path:/srv/feeds/a.xml");
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

fn errors_of(text: &str) -> Vec<String> {
    parse(text).expect_err("invalid").to_string().lines().map(str::to_owned).collect()
}

#[test]
fn check_config_reports_every_error_in_file_order_each_once() {
    let text = "\
[database]
url = \"mysql://root@db/news\"
[fetch]
per_host_delay_ms = 18446744073709551615
timeout_secs = 0
[http]
listen = \"not-an-address\"
[poll]
intervall = 3
[[feeds]]
path = \"does/not/exist.xml\"
[[feeds]]
url = \"https://a.example/rss?utm_source=x\"
body_selector = \"div[\"
[[feeds]]
url = \"https://A.example/rss\"
";
    let errors = errors_of(text);
    let expected = [
        ("config/test.toml:2:", "database.url", "mysql"),
        ("config/test.toml:4:", "fetch.per_host_delay_ms", "too large"),
        ("config/test.toml:5:", "fetch.timeout_secs", ""),
        ("config/test.toml:7:", "http.listen", "not an address"),
        ("config/test.toml:9:", "poll.intervall", "unknown field"),
        ("config/test.toml:11:", "feeds[0].path", "does not exist"),
        ("config/test.toml:14:", "feeds[1].body_selector", "invalid CSS selector `div[`"),
        ("config/test.toml:16:", "feeds[2].url", "already listed as feeds[1]"),
    ];
    assert_eq!(errors.len(), expected.len(), "{errors:#?}");
    for (error, (at, key, what)) in errors.iter().zip(expected) {
        assert!(error.starts_with(at), "{error} should start with {at}");
        assert!(error.contains(&format!("key `{key}`")), "{error} should name {key}");
        assert!(error.contains(what), "{error} should say {what}");
    }
    assert!(!errors.iter().any(|e| e.contains("report this to the developer")), "{errors:#?}");
}

#[test]
fn an_unclosed_table_header_is_named_as_written() {
    let err = parse("[fetch]\ntimeout_secs = 5\n[poll\ndefault_interval_secs = 60\n")
        .expect_err("syntax")
        .to_string();
    assert!(err.starts_with("config/test.toml:3:"), "{err}");
    assert!(err.contains("`[poll`") && !err.contains("key `fetch"), "{err}");
}

#[test]
fn a_bad_selector_points_at_its_own_line() {
    let text =
        "[[feeds]]\nurl = \"https://a.example/rss\"\nremove_selectors = [\"p.ad\"]\nbody_selector = \"##\"\n";
    let err = parse(text).expect_err("selector").to_string();
    assert!(err.starts_with("config/test.toml:4:"), "{err}");
    assert!(err.contains("feeds[0].body_selector"), "{err}");
}

#[test]
fn a_missing_file_is_reported_once() {
    let err = Settings::load(Path::new("config/no-such-file.toml")).expect_err("missing").to_string();
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
    let chained = format!(
        "{:#}",
        anyhow::Error::new(Settings::load(Path::new("config/no-such-file.toml")).expect_err("missing"))
    );
    assert_eq!(chained.matches("No such file").count(), 1, "{chained}");
}

#[test]
fn lease_and_stop_settings_have_bounds() {
    let s = parse("").expect("defaults");
    assert_eq!((s.service.lease_secs.get(), s.service.stop_timeout_secs.get()), (60, 8));
    assert_eq!(s.http.listen, "127.0.0.1:8080");
    let err = parse("[fetch]\nper_host_delay_ms = 9223372036854775807\n").expect_err("too long").to_string();
    assert!(err.starts_with("config/test.toml:2:") && err.contains("largest allowed"), "{err}");
    let err = parse("[service]\nlease_secs = 2\n").expect_err("too short").to_string();
    assert!(err.contains("service.lease_secs"), "{err}");
    assert!(parse("[http]\nlisten = \"localhost:9000\"\n").is_ok());
    assert!(parse("[http]\nlisten = \"[::1]:9000\"\n").is_ok());
}
