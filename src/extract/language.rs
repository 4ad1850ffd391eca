//! Language of the body text when the page does not declare one, via whatlang, reported as ISO 639-1.

/// whatlang's ISO 639-3 codes → ISO 639-1, for every language whatlang 0.18 detects (codes from the
/// ISO 639-2 registration authority's table, loc.gov/standards/iso639-2; `cmn` → `zh`, `pes` → `fa`).
#[rustfmt::skip]
const ISO639_3_TO_1: &[(&str, &str)] = &[
    ("afr", "af"), ("aka", "ak"), ("amh", "am"), ("ara", "ar"), ("aze", "az"), ("bel", "be"), ("ben", "bn"),
    ("bul", "bg"), ("cat", "ca"), ("ces", "cs"), ("cmn", "zh"), ("cym", "cy"), ("dan", "da"), ("deu", "de"),
    ("ell", "el"), ("eng", "en"), ("epo", "eo"), ("est", "et"), ("fin", "fi"), ("fra", "fr"), ("guj", "gu"),
    ("heb", "he"), ("hin", "hi"), ("hrv", "hr"), ("hun", "hu"), ("hye", "hy"), ("ind", "id"), ("ita", "it"),
    ("jav", "jv"), ("jpn", "ja"), ("kan", "kn"), ("kat", "ka"), ("khm", "km"), ("kor", "ko"), ("lat", "la"),
    ("lav", "lv"), ("lit", "lt"), ("mal", "ml"), ("mar", "mr"), ("mkd", "mk"), ("mya", "my"), ("nep", "ne"),
    ("nld", "nl"), ("nob", "nb"), ("ori", "or"), ("pan", "pa"), ("pes", "fa"), ("pol", "pl"), ("por", "pt"),
    ("ron", "ro"), ("rus", "ru"), ("sin", "si"), ("slk", "sk"), ("slv", "sl"), ("sna", "sn"), ("spa", "es"),
    ("srp", "sr"), ("swe", "sv"), ("tam", "ta"), ("tel", "te"), ("tgl", "tl"), ("tha", "th"), ("tuk", "tk"),
    ("tur", "tr"), ("ukr", "uk"), ("urd", "ur"), ("uzb", "uz"), ("vie", "vi"), ("yid", "yi"), ("zul", "zu"),
];

/// Detects the language of `text` (its first few kilobytes are plenty); `None` when whatlang is not
/// confident.
pub fn detect(text: &str) -> Option<String> {
    let end = text.char_indices().nth(4000).map_or(text.len(), |(i, _)| i);
    let info = whatlang::detect(&text[..end])?;
    if !info.is_reliable() {
        return None;
    }
    let code = info.lang().code();
    ISO639_3_TO_1.iter().find(|(three, _)| *three == code).map(|(_, two)| (*two).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_news_languages() {
        let en = "The president arrived in Tehran on Sunday for talks with the supreme leader, state media reported, \
                  in his first visit to the country since the war began more than a decade ago.";
        assert_eq!(detect(en).as_deref(), Some("en"));
        let de = "Der Präsident ist am Sonntag zu Gesprächen mit dem obersten Führer in Teheran eingetroffen, \
                  wie staatliche Medien berichteten. Es ist sein erster Besuch seit Beginn des Krieges.";
        assert_eq!(detect(de).as_deref(), Some("de"));
        assert_eq!(detect(""), None);
    }

    #[test]
    fn every_whatlang_language_is_mapped() {
        for lang in whatlang::Lang::all() {
            assert!(ISO639_3_TO_1.iter().any(|(c, _)| *c == lang.code()), "{}", lang.code());
        }
    }
}
