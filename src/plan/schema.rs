//! A rule's JSON Schema made ready for the validator: its draft named from `$schema` (Segment
//! writes draft-07, and a schema without `$schema` is read as draft-07), and the `id` keywords
//! Segment's exports carry put right (docs/tracking-plans.md, *Formats to read*).

use jsonschema::Draft;
use serde_json::{Map, Value};

/// Keywords whose value is a map of names to schemas.
const SCHEMA_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "dependentSchemas",
];
/// Keywords whose value is one schema (or, for `items`, a list of them).
const SCHEMA_ONE: &[&str] = &[
    "items",
    "additionalItems",
    "additionalProperties",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
];
/// Keywords whose value is a list of schemas.
const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf"];

/// The draft a schema declares; `None` with the text of a `$schema` the console does not read.
pub(super) fn draft(schema: &Value) -> Result<Draft, String> {
    let Some(declared) = schema.get("$schema") else {
        return Ok(Draft::Draft7);
    };
    let Some(uri) = declared.as_str() else {
        return Err(format!("\"$schema\" is {declared}; it must be a URI"));
    };
    let d = if uri.contains("draft-04") {
        Draft::Draft4
    } else if uri.contains("draft-06") {
        Draft::Draft6
    } else if uri.contains("draft-07") {
        Draft::Draft7
    } else if uri.contains("2019-09") {
        Draft::Draft201909
    } else if uri.contains("2020-12") {
        Draft::Draft202012
    } else {
        return Err(format!(
            "\"$schema\" is \"{uri}\"; the console reads JSON Schema drafts 04, 06, 07, 2019-09 \
             and 2020-12"
        ));
    };
    Ok(d)
}

/// Segment's exports put an `id` in every property's schema, holding a JSON pointer of where
/// the property sits (`/properties/properties/properties/revenue`). Taken as an identifier
/// (`id` in draft-04, or once renamed to `$id`) such a pointer would move the base URI of
/// everything under it, and a `$ref` there would no longer resolve. So: a pointer-like `id`
/// is dropped; a real one (an absolute URI, `urn:...`) becomes `$id` where the draft expects
/// `$id`, so a `$ref` to it still resolves. A property *named* `id` is untouched: only schema
/// positions are walked.
pub(super) fn normalise(schema: Value) -> Value {
    let dollar_id = !matches!(draft(&schema), Ok(Draft::Draft4));
    walk(schema, dollar_id)
}

fn walk(schema: Value, dollar_id: bool) -> Value {
    let Value::Object(mut m) = schema else {
        return schema;
    };
    if let Some(Value::String(id)) = m.get("id").cloned() {
        let absolute = id.contains(':') && !id.contains(char::is_whitespace);
        if !absolute {
            m.remove("id");
        } else if dollar_id && !m.contains_key("$id") {
            m.remove("id");
            m.insert("$id".into(), Value::String(id));
        }
    }
    let mut out = Map::with_capacity(m.len());
    for (k, v) in m {
        let v = if SCHEMA_MAPS.contains(&k.as_str()) {
            match v {
                Value::Object(children) => Value::Object(
                    children
                        .into_iter()
                        .map(|(name, s)| (name, walk(s, dollar_id)))
                        .collect(),
                ),
                other => other,
            }
        } else if SCHEMA_ONE.contains(&k.as_str()) || SCHEMA_LISTS.contains(&k.as_str()) {
            match v {
                Value::Array(list) => {
                    Value::Array(list.into_iter().map(|s| walk(s, dollar_id)).collect())
                }
                other => walk(other, dollar_id),
            }
        } else if k == "dependencies" {
            // Draft-04 to 07: each value is a schema or a list of property names.
            match v {
                Value::Object(children) => Value::Object(
                    children
                        .into_iter()
                        .map(|(name, s)| (name, walk(s, dollar_id)))
                        .collect(),
                ),
                other => other,
            }
        } else {
            v
        };
        out.insert(k, v);
    }
    Value::Object(out)
}

/// Compiles a schema in its draft. Formats are not asserted (Segment's Protocols does not check
/// them either), and no `$ref` is fetched: the crate is built without its HTTP and file
/// resolvers, so a remote reference is an error naming it.
pub(super) fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    let d = draft(schema)?;
    jsonschema::options()
        .with_draft(d)
        .should_validate_formats(false)
        .build(schema)
        .map_err(|e| {
            let at = e.schema_path().as_str();
            if at.is_empty() {
                format!("the jsonSchema is not a valid JSON Schema: {e}")
            } else {
                format!("the jsonSchema is not a valid JSON Schema at {at}: {e}")
            }
        })
}
