//! Writes JSON exactly as json-c 0.11 does with its "pretty" flag, the
//! layout of the old tool's files, so old and new files diff cleanly:
//! two spaces per level, `"key":value` without a space, one element per
//! line, an empty container as its opening bracket, a newline, the
//! indentation and the closing bracket, and no newline at the end.

/// The JSON values the configuration files use; objects keep key order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Json {
    /// A string; callers only store addresses, which need no escaping, but
    /// quotes and backslashes are escaped anyway.
    Str(String),
    /// A non-negative integer.
    Int(u64),
    /// `true` or `false`.
    Bool(bool),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in insertion order.
    Object(Vec<(&'static str, Json)>),
}

impl Json {
    /// The json-c pretty text of this value.
    pub fn to_pretty(&self) -> String {
        let mut out = String::new();
        self.write(0, &mut out);
        out
    }

    fn write(&self, level: usize, out: &mut String) {
        match self {
            Json::Str(s) => write_str(s, out),
            Json::Int(n) => out.push_str(&n.to_string()),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Array(items) => {
                write_container(('[', ']'), items.iter().map(|v| (None, v)), level, out);
            }
            Json::Object(fields) => {
                write_container(
                    ('{', '}'),
                    fields.iter().map(|(k, v)| (Some(*k), v)),
                    level,
                    out,
                );
            }
        }
    }
}

fn write_container<'a>(
    (open, close): (char, char),
    items: impl Iterator<Item = (Option<&'a str>, &'a Json)>,
    level: usize,
    out: &mut String,
) {
    out.push(open);
    out.push('\n');
    let mut any = false;
    for (key, value) in items {
        if any {
            out.push_str(",\n");
        }
        any = true;
        indent(level + 1, out);
        if let Some(key) = key {
            write_str(key, out);
            out.push(':');
        }
        value.write(level + 1, out);
    }
    if any {
        out.push('\n');
    }
    indent(level, out);
    out.push(close);
}

fn indent(level: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', level * 2));
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Json {
        Json::Str(text.into())
    }

    #[test]
    fn server_example_of_the_old_documentation() {
        let doc = Json::Object(vec![(
            "multi_group_array",
            Json::Array(vec![Json::Object(vec![
                ("group_ip", s("239.10.0.1")),
                (
                    "member_array",
                    Json::Array(vec![s("10.0.1.11"), s("10.0.1.12")]),
                ),
            ])]),
        )]);
        let expected = "{\n  \"multi_group_array\":[\n    {\n      \"group_ip\":\"239.10.0.1\",\n      \"member_array\":[\n        \"10.0.1.11\",\n        \"10.0.1.12\"\n      ]\n    }\n  ]\n}";
        assert_eq!(doc.to_pretty(), expected);
    }

    #[test]
    fn client_example_with_an_integer() {
        let doc = Json::Object(vec![(
            "multi_server_info_array",
            Json::Array(vec![Json::Object(vec![
                ("server_ip", s("10.0.1.10")),
                ("group_ip", s("239.10.0.1")),
                ("client_port", Json::Int(5000)),
                ("allow_link_local", Json::Bool(true)),
            ])]),
        )]);
        let expected = "{\n  \"multi_server_info_array\":[\n    {\n      \"server_ip\":\"10.0.1.10\",\n      \"group_ip\":\"239.10.0.1\",\n      \"client_port\":5000,\n      \"allow_link_local\":true\n    }\n  ]\n}";
        assert_eq!(doc.to_pretty(), expected);
    }

    #[test]
    fn empty_containers() {
        let fresh = Json::Object(vec![("multi_group_array", Json::Array(vec![]))]);
        assert_eq!(fresh.to_pretty(), "{\n  \"multi_group_array\":[\n  ]\n}");
        assert_eq!(Json::Object(vec![]).to_pretty(), "{\n}");
        let nested = Json::Array(vec![Json::Object(vec![(
            "member_array",
            Json::Array(vec![]),
        )])]);
        assert_eq!(
            nested.to_pretty(),
            "[\n  {\n    \"member_array\":[\n    ]\n  }\n]"
        );
    }

    #[test]
    fn escapes() {
        assert_eq!(s("a\"b\\c\n").to_pretty(), "\"a\\\"b\\\\c\\u000a\"");
    }
}
