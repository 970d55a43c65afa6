//! A borrowed view of an OSM element's tags, with the few look-ups the rules need.

/// The tags of one element, as `(key, value)` pairs in file order.
#[derive(Debug, Clone, Copy)]
pub struct Tags<'a, 's> {
    pairs: &'a [(&'s str, &'s str)],
}

impl<'a, 's> Tags<'a, 's> {
    /// Wraps a slice of `(key, value)` pairs.
    pub fn new(pairs: &'a [(&'s str, &'s str)]) -> Self {
        Tags { pairs }
    }

    /// The value of `key`, if the element has it (the first one if the key is repeated).
    pub fn get(&self, key: &str) -> Option<&'s str> {
        self.pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// Whether `key` has exactly `value`.
    pub fn is(&self, key: &str, value: &str) -> bool {
        self.get(key) == Some(value)
    }

    /// Whether `key` has one of `values`.
    pub fn is_any(&self, key: &str, values: &[&str]) -> bool {
        self.get(key).is_some_and(|v| values.contains(&v))
    }

    /// Whether `key` is present with any value.
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Whether there are no tags.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The display name: `name:zh`, then `name`, then the empty string.
    pub fn display_name(&self) -> &'s str {
        self.get("name:zh")
            .filter(|s| !s.trim().is_empty())
            .or_else(|| self.get("name"))
            .unwrap_or("")
    }

    /// The first of `needles` that occurs in a name tag (`name`, `name:zh`, `name:en`,
    /// `official_name`), compared case-insensitively for ASCII letters.
    pub fn name_hint(&self, needles: &[&'static str]) -> Option<&'static str> {
        const NAME_KEYS: [&str; 4] = ["name", "name:zh", "name:en", "official_name"];
        for key in NAME_KEYS {
            let Some(name) = self.get(key) else { continue };
            let lower = name.to_ascii_lowercase();
            if let Some(hit) = needles.iter().find(|n| lower.contains(*n)) {
                return Some(hit);
            }
        }
        None
    }
}
