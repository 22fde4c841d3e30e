//! Reading the old schema's JSON values with messages that say where a
//! problem is (`multi_group_array[2].group_ip: ...`).

use crate::parse;
use mcast_shared::addr::Ipv4;
use mcast_shared::learn::Prefix;
use serde_json::{Map, Value};

/// Parses `text` and returns its top-level array under `key`; a file
/// without the key (the old tool wrote `{}` after a clear) holds nothing.
pub fn top_array(text: &str, key: &str) -> Result<Vec<Value>, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(mut root) = root else {
        return Err("the top level is not a JSON object".into());
    };
    match root.remove(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(format!("{key} is not an array")),
    }
}

/// One element of the top-level array, which must be an object.
pub struct Element<'a> {
    /// `array[index]`, for messages.
    pub place: String,
    fields: &'a Map<String, Value>,
}

impl<'a> Element<'a> {
    /// Element `index` of the array named `array`.
    pub fn new(array: &str, index: usize, value: &'a Value) -> Result<Self, String> {
        let place = format!("{array}[{index}]");
        match value {
            Value::Object(fields) => Ok(Element { place, fields }),
            _ => Err(format!("{place} is not an object")),
        }
    }

    /// The field `key`, if present.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.fields.get(key)
    }

    /// A message about field `key`.
    pub fn problem(&self, key: &str, what: impl std::fmt::Display) -> String {
        format!("{}.{key}: {what}", self.place)
    }

    /// The required field `key`.
    pub fn required(&self, key: &str) -> Result<&'a Value, String> {
        self.get(key)
            .ok_or_else(|| format!("{}: {key} is missing", self.place))
    }

    /// The required address field `key`.
    pub fn address(&self, key: &str) -> Result<Ipv4, String> {
        address_value(self.required(key)?).map_err(|what| self.problem(key, what))
    }
}

/// A JSON string holding a strict dotted quad. A value too long for a
/// message (a hostile file's megabyte string or array) is shown cut short.
pub fn address_value(value: &Value) -> Result<Ipv4, String> {
    string_value(value, ("an IPv4 address", "an address"), |text| {
        parse::address(text).map_err(|e| e.to_string())
    })
}

/// A JSON string holding a learn prefix (`A.B.C.D/LEN`), shown like
/// [`address_value`]'s.
pub fn prefix_value(value: &Value) -> Result<Prefix, String> {
    string_value(value, ("a learn prefix", "a prefix"), |text| {
        parse::prefix(text).map_err(|e| e.to_string())
    })
}

/// A JSON string read by `read`, whose errors name the text. `names` are
/// what the string should be (for a string too long to show) and what
/// kind of string (for another value).
fn string_value<T>(
    value: &Value,
    (what, kind): (&str, &str),
    read: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, String> {
    match value {
        Value::String(text) if text.len() > SHOWN => {
            Err(format!("{}: not {what}", cut_short(&value.to_string())))
        }
        Value::String(text) => read(text),
        other => Err(format!(
            "{} is not {kind} string",
            cut_short(&other.to_string())
        )),
    }
}

/// The most characters of a value a message shows.
const SHOWN: usize = 40;

/// `text`, or its first [`SHOWN`] characters and how long it is.
fn cut_short(text: &str) -> String {
    match text.char_indices().nth(SHOWN) {
        None => text.to_string(),
        Some((end, _)) => format!("{}... ({} bytes)", &text[..end], text.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_shapes() {
        assert_eq!(top_array("{}", "a").unwrap(), Vec::<Value>::new());
        assert_eq!(top_array("{\"a\":[1]}", "a").unwrap().len(), 1);
        assert_eq!(
            top_array("[]", "a").unwrap_err(),
            "the top level is not a JSON object"
        );
        assert_eq!(
            top_array("{\"a\":{}}", "a").unwrap_err(),
            "a is not an array"
        );
        assert!(top_array("{", "a")
            .unwrap_err()
            .starts_with("not valid JSON: "));
        assert!(top_array("", "a")
            .unwrap_err()
            .starts_with("not valid JSON: "));
    }

    #[test]
    fn element_messages() {
        let v: Value = serde_json::from_str("{\"ip\":\"1.2.3\",\"n\":5}").unwrap();
        let e = Element::new("arr", 3, &v).unwrap();
        assert_eq!(
            e.address("ip").unwrap_err(),
            "arr[3].ip: 1.2.3: not an IPv4 address"
        );
        assert_eq!(
            e.address("n").unwrap_err(),
            "arr[3].n: 5 is not an address string"
        );
        assert_eq!(e.address("x").unwrap_err(), "arr[3]: x is missing");
        // A hostile file's huge values are shown cut short.
        let huge = serde_json::json!({"a": vec![7; 100_000], "s": "1".repeat(100_000)});
        let e = Element::new("arr", 0, &huge).unwrap();
        assert_eq!(
            e.address("a").unwrap_err(),
            "arr[0].a: [7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7... (200001 bytes) is not an address string"
        );
        assert_eq!(
            e.address("s").unwrap_err(),
            "arr[0].s: \"111111111111111111111111111111111111111... (100002 bytes): not an IPv4 address"
        );
        assert_eq!(
            Element::new("arr", 0, &Value::Null).err().unwrap(),
            "arr[0] is not an object"
        );
    }
}
