//! The guideline's parameters are declared once, with [`section!`] and [`choice!`]: each
//! declaration gives the Rust type, the TOML key, the documentation, the allowed range and the
//! default. The reader (with line-and-column errors), the JSON schema (`trueshot guide schema`)
//! and the commented listing (`trueshot guide show`) are all generated from it.

use serde_json::{json, Value};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::GuideError;

/// What a reader knows about the file it reads: its text (for line and column) and its name.
pub struct Cx<'a> {
    pub text: &'a str,
    pub path: &'a str,
}

impl Cx<'_> {
    /// An error at a byte offset of the file, as `path:line:column: key: message`.
    pub fn err(&self, at: usize, key: &str, message: impl std::fmt::Display) -> GuideError {
        let (line, column) = line_column(self.text, at);
        let key = if key.is_empty() {
            String::new()
        } else {
            format!("{key}: ")
        };
        GuideError::Invalid {
            path: self.path.to_string(),
            line,
            column,
            message: format!("{key}{message}"),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = &text[..text.floor_char_boundary(at)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The constraint a declaration puts on a value.
#[derive(Clone, Copy, Debug)]
pub enum Spec {
    None,
    /// Inclusive numeric range.
    Range(f64, f64),
}

/// How a parameter is laid out in TOML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `key = value`
    Value,
    /// `[key]`
    Table,
    /// `[[key]]`
    TableList,
}

/// A type that can be a guideline parameter.
pub trait Param: Sized {
    /// Reads the value at `key` (a dotted path, for messages).
    fn read(v: &Spanned<DeValue>, spec: Spec, key: &str, cx: &Cx) -> Result<Self, GuideError>;
    /// The value when the key is absent and the declaration gives no default; `None` = required.
    fn missing() -> Option<Self> {
        None
    }
    /// JSON schema of this type under `spec`.
    fn schema(spec: Spec) -> Value;
    fn layout() -> Layout {
        Layout::Value
    }
    /// The value as a TOML literal (`Layout::Value` types).
    fn literal(&self) -> Option<String>;
    /// Writes `[path]` tables (`Layout::Table` and `TableList` types).
    fn write_tables(&self, _path: &str, _out: &mut String) {}
}

fn type_error(v: &Spanned<DeValue>, key: &str, cx: &Cx, expected: &str) -> GuideError {
    cx.err(
        v.span().start,
        key,
        format!("expected {expected}, found {}", v.get_ref().type_str()),
    )
}

fn number(v: &Spanned<DeValue>) -> Option<f64> {
    match v.get_ref() {
        DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
        DeValue::Integer(i) if i.radix() == 10 => i.as_str().replace('_', "").parse().ok(),
        _ => None,
    }
}

fn check_range(x: f64, spec: Spec, at: usize, key: &str, cx: &Cx) -> Result<(), GuideError> {
    if let Spec::Range(lo, hi) = spec {
        if !(lo..=hi).contains(&x) {
            return Err(cx.err(at, key, format!("must be between {lo} and {hi}, found {x}")));
        }
    }
    Ok(())
}

fn range_schema(mut schema: Value, spec: Spec) -> Value {
    if let Spec::Range(lo, hi) = spec {
        schema["minimum"] = json!(lo);
        schema["maximum"] = json!(hi);
    }
    schema
}

impl Param for f32 {
    fn read(v: &Spanned<DeValue>, spec: Spec, key: &str, cx: &Cx) -> Result<Self, GuideError> {
        let x = number(v).ok_or_else(|| type_error(v, key, cx, "a number"))?;
        check_range(x, spec, v.span().start, key, cx)?;
        Ok(x as f32)
    }
    fn schema(spec: Spec) -> Value {
        range_schema(json!({"type": "number"}), spec)
    }
    fn literal(&self) -> Option<String> {
        Some(format!("{self:?}"))
    }
}

impl Param for u32 {
    fn read(v: &Spanned<DeValue>, spec: Spec, key: &str, cx: &Cx) -> Result<Self, GuideError> {
        let x = match v.get_ref() {
            DeValue::Integer(_) => number(v),
            _ => None,
        }
        .ok_or_else(|| type_error(v, key, cx, "a whole number"))?;
        check_range(x, spec, v.span().start, key, cx)?;
        if !(0.0..=f64::from(u32::MAX)).contains(&x) {
            return Err(cx.err(v.span().start, key, "out of range"));
        }
        Ok(x as u32)
    }
    fn schema(spec: Spec) -> Value {
        range_schema(json!({"type": "integer"}), spec)
    }
    fn literal(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl Param for bool {
    fn read(v: &Spanned<DeValue>, _: Spec, key: &str, cx: &Cx) -> Result<Self, GuideError> {
        v.get_ref()
            .as_bool()
            .ok_or_else(|| type_error(v, key, cx, "true or false"))
    }
    fn schema(_: Spec) -> Value {
        json!({"type": "boolean"})
    }
    fn literal(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl Param for String {
    fn read(v: &Spanned<DeValue>, _: Spec, key: &str, cx: &Cx) -> Result<Self, GuideError> {
        v.get_ref()
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| type_error(v, key, cx, "a string"))
    }
    fn schema(_: Spec) -> Value {
        json!({"type": "string"})
    }
    fn literal(&self) -> Option<String> {
        Some(toml_string(self))
    }
}

/// A TOML basic string.
pub fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl<T: Param> Param for Option<T> {
    fn read(v: &Spanned<DeValue>, spec: Spec, key: &str, cx: &Cx) -> Result<Self, GuideError> {
        T::read(v, spec, key, cx).map(Some)
    }
    fn missing() -> Option<Self> {
        Some(None)
    }
    fn schema(spec: Spec) -> Value {
        T::schema(spec)
    }
    fn layout() -> Layout {
        T::layout()
    }
    fn literal(&self) -> Option<String> {
        self.as_ref().and_then(T::literal)
    }
    fn write_tables(&self, path: &str, out: &mut String) {
        if let Some(t) = self {
            t.write_tables(path, out);
        }
    }
}

/// A list: an array of values, or `[[key]]` tables when the items are tables.
impl<T: Param> Param for Vec<T> {
    fn read(v: &Spanned<DeValue>, spec: Spec, key: &str, cx: &Cx) -> Result<Self, GuideError> {
        let items = v
            .get_ref()
            .as_array()
            .ok_or_else(|| type_error(v, key, cx, "a list"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| T::read(item, spec, &format!("{key}[{}]", i + 1), cx))
            .collect()
    }
    fn missing() -> Option<Self> {
        Some(Vec::new())
    }
    fn schema(spec: Spec) -> Value {
        json!({"type": "array", "items": T::schema(spec)})
    }
    fn layout() -> Layout {
        match T::layout() {
            Layout::Value => Layout::Value,
            _ => Layout::TableList,
        }
    }
    fn literal(&self) -> Option<String> {
        let items: Option<Vec<String>> = self.iter().map(T::literal).collect();
        items.map(|items| format!("[{}]", items.join(", ")))
    }
    fn write_tables(&self, path: &str, out: &mut String) {
        for item in self {
            out.push_str(&format!("\n[[{path}]]\n"));
            item.write_tables(path, out);
        }
    }
}

/// Reads a table, refusing keys that are not declared.
pub fn table<'a, 'i>(
    v: &'a Spanned<DeValue<'i>>,
    known: &[&str],
    key: &str,
    cx: &Cx,
) -> Result<&'a DeTable<'i>, GuideError> {
    let t = v
        .get_ref()
        .as_table()
        .ok_or_else(|| type_error(v, key, cx, "a table"))?;
    for (k, _) in t.iter() {
        if !known.contains(&k.get_ref().as_ref()) {
            let full = if key.is_empty() {
                k.get_ref().to_string()
            } else {
                format!("{key}.{}", k.get_ref())
            };
            return Err(cx.err(
                k.span().start,
                "",
                format!(
                    "unknown setting `{full}` (settings here: {})",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(t)
}

pub fn join(key: &str, field: &str) -> String {
    if key.is_empty() {
        field.to_string()
    } else {
        format!("{key}.{field}")
    }
}

/// Writes `# doc` lines and `key = value` for one field of a table.
pub fn write_field<T: Param>(value: &T, field: &str, doc: &str, spec: Spec, out: &mut String) {
    if T::layout() != Layout::Value {
        return;
    }
    for line in doc.lines().map(str::trim).filter(|l| !l.is_empty()) {
        out.push_str(&format!("# {line}\n"));
    }
    if let Spec::Range(lo, hi) = spec {
        out.push_str(&format!("# range: {lo} to {hi}\n"));
    }
    match value.literal() {
        Some(lit) => out.push_str(&format!("{field} = {lit}\n")),
        None => out.push_str(&format!("# {field} = (not set)\n")),
    }
}

/// Declares a table of the guideline: the struct, its reader, schema and listing.
///
/// ```text
/// section! {
///     /// Doc of the table.
///     pub struct Name {
///         /// Doc of the field.
///         field: Type [Spec::Range(0.0, 1.0)] = default,
///     }
/// }
/// ```
#[macro_export]
macro_rules! section {
    (
        $(#[doc = $sdoc:expr])*
        pub struct $name:ident {
            $(
                $(#[doc = $doc:expr])*
                $field:ident : $ty:ty $([$spec:expr])? $(= $default:expr)?
            ),* $(,)?
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $( $(#[doc = $doc])* pub $field: $ty, )*
        }

        impl $crate::schema::Param for $name {
            fn read(
                v: &toml::Spanned<toml::de::DeValue>,
                _spec: $crate::schema::Spec,
                key: &str,
                cx: &$crate::schema::Cx,
            ) -> Result<Self, $crate::GuideError> {
                let known = [$(stringify!($field)),*];
                let t = $crate::schema::table(v, &known, key, cx)?;
                let value = $name {
                    $($field: {
                        let sub = $crate::schema::join(key, stringify!($field));
                        match t.get(stringify!($field)) {
                            Some(item) => <$ty as $crate::schema::Param>::read(
                                item,
                                section!(@spec $($spec)?),
                                &sub,
                                cx,
                            )?,
                            None => {
                                let default: Option<$ty> = section!(@default $($default)?);
                                match default.or_else(<$ty as $crate::schema::Param>::missing) {
                                    Some(d) => d,
                                    None => {
                                        return Err(cx.err(
                                            v.span().start,
                                            "",
                                            format!("`{sub}` is missing"),
                                        ))
                                    }
                                }
                            }
                        }
                    },)*
                };
                $crate::schema::Validate::validate(&value, key)
                    .map_err(|(field, message)| {
                        let at = t
                            .get(field)
                            .map_or(v.span().start, |item| item.span().start);
                        cx.err(at, &$crate::schema::join(key, field), message)
                    })?;
                Ok(value)
            }
            fn missing() -> Option<Self> {
                // A table whose every field has a default may be left out.
                Some($name {
                    $($field: {
                        let default: Option<$ty> = section!(@default $($default)?);
                        default.or_else(<$ty as $crate::schema::Param>::missing)?
                    },)*
                })
            }
            fn schema(_spec: $crate::schema::Spec) -> serde_json::Value {
                let mut properties = serde_json::Map::new();
                let mut required: Vec<&str> = Vec::new();
                $(
                    let mut s = <$ty as $crate::schema::Param>::schema(section!(@spec $($spec)?));
                    s["description"] = serde_json::json!(concat!($($doc, "\n"),*).trim());
                    let default: Option<$ty> = section!(@default $($default)?);
                    if let Some(lit) = default.as_ref().and_then($crate::schema::Param::literal) {
                        s["default"] = serde_json::json!(lit);
                    }
                    if default.is_none() && <$ty as $crate::schema::Param>::missing().is_none() {
                        required.push(stringify!($field));
                    }
                    properties.insert(stringify!($field).to_string(), s);
                )*
                serde_json::json!({
                    "type": "object",
                    "description": concat!($($sdoc, "\n"),*).trim(),
                    "properties": properties,
                    "required": required,
                    "additionalProperties": false,
                })
            }
            fn layout() -> $crate::schema::Layout {
                $crate::schema::Layout::Table
            }
            fn literal(&self) -> Option<String> {
                None
            }
            fn write_tables(&self, path: &str, out: &mut String) {
                $(
                    $crate::schema::write_field(
                        &self.$field,
                        stringify!($field),
                        concat!($($doc, "\n"),*),
                        section!(@spec $($spec)?),
                        out,
                    );
                )*
                $(
                    match <$ty as $crate::schema::Param>::layout() {
                        $crate::schema::Layout::Table => {
                            let sub = $crate::schema::join(path, stringify!($field));
                            out.push_str(&format!("\n[{sub}]\n"));
                            $crate::schema::Param::write_tables(&self.$field, &sub, out);
                        }
                        $crate::schema::Layout::TableList => {
                            let sub = $crate::schema::join(path, stringify!($field));
                            $crate::schema::Param::write_tables(&self.$field, &sub, out);
                        }
                        $crate::schema::Layout::Value => {}
                    }
                )*
            }
        }
    };
    (@spec) => { $crate::schema::Spec::None };
    (@spec $spec:expr) => { $spec };
    (@default) => { None };
    (@default $d:expr) => { Some($d) };
}

/// Declares a choice among named values (`format = "jpeg"`).
#[macro_export]
macro_rules! choice {
    (
        $(#[doc = $sdoc:expr])*
        pub enum $name:ident { $( $(#[doc = $doc:expr])* $variant:ident = $text:literal ),+ $(,)? }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $( $(#[doc = $doc])* $variant, )+ }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($text),+];
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $text, )+ }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl $crate::schema::Param for $name {
            fn read(
                v: &toml::Spanned<toml::de::DeValue>,
                _spec: $crate::schema::Spec,
                key: &str,
                cx: &$crate::schema::Cx,
            ) -> Result<Self, $crate::GuideError> {
                match v.get_ref().as_str() {
                    $( Some($text) => Ok($name::$variant), )+
                    _ => Err(cx.err(
                        v.span().start,
                        key,
                        format!("must be one of {}", $name::ALL.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ")),
                    )),
                }
            }
            fn schema(_spec: $crate::schema::Spec) -> serde_json::Value {
                serde_json::json!({"type": "string", "enum": $name::ALL})
            }
            fn literal(&self) -> Option<String> {
                Some(format!("\"{}\"", self.as_str()))
            }
        }
    };
}

/// Rules between the fields of one table; `Err((field, message))` points at `field`.
pub trait Validate {
    fn validate(&self, _key: &str) -> Result<(), (&'static str, String)> {
        Ok(())
    }
}

/// Reads a whole document.
pub fn read_document<T: Param>(text: &str, path: &str) -> Result<T, GuideError> {
    let cx = Cx { text, path };
    let doc = DeTable::parse(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        let message = e.message().trim().to_string();
        cx.err(at, "", message)
    })?;
    let span = doc.span();
    let value = Spanned::new(span, DeValue::Table(doc.into_inner()));
    T::read(&value, Spec::None, "", &cx)
}
