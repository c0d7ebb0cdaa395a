//! The generic Segment Spec rules (docs/segment-spec.md), checked on the raw JSON so that every
//! wrong type is reported with its path instead of failing a typed parse.

use super::finding::Finding;
use super::model::{CallType, kind_of};
use super::path;
use super::time::parse_iso8601;
use serde_json::{Map, Value};

/// Segment's HTTP API refuses a single event over 32 KB.
pub const MAX_EVENT_BYTES: usize = 32 * 1024;
pub const MAX_MESSAGE_ID_CHARS: usize = 100;

const RESERVED_STRING_TRAITS: &[&str] = &[
    "avatar",
    "description",
    "email",
    "firstName",
    "first_name",
    "gender",
    "lastName",
    "last_name",
    "name",
    "phone",
    "title",
    "username",
    "website",
];
const PAGE_RESERVED: &[&str] = &["path", "referrer", "search", "title", "url"];

/// Every finding of the generic rules for one event, errors first in document order.
pub fn validate(value: &Value) -> Vec<Finding> {
    let mut v = Validator::default();
    v.event(value);
    v.findings
}

#[derive(Default)]
struct Validator {
    findings: Vec<Finding>,
}

impl Validator {
    fn error(&mut self, path: String, msg: String) {
        self.findings.push(Finding::error(path, msg));
    }

    fn warn(&mut self, path: String, msg: String) {
        self.findings.push(Finding::warning(path, msg));
    }

    fn event(&mut self, value: &Value) {
        let Value::Object(obj) = value else {
            self.error(
                "$".into(),
                format!("An event must be a JSON object, not {}.", kind_of(value)),
            );
            return;
        };
        let call = self.call_type(obj);
        self.ids(obj, call);
        self.message_id(obj);
        for key in ["timestamp", "sentAt", "originalTimestamp", "receivedAt"] {
            self.time_field(obj, key);
        }
        self.object_field(obj, "context", "$");
        self.context(obj);
        self.integrations(obj);
        for key in ["version", "channel"] {
            self.str_or_num(obj, key, "$");
        }
        match call {
            Some(CallType::Identify) => self.identify(obj),
            Some(CallType::Track) => self.track(obj),
            Some(CallType::Page) => self.page_or_screen(obj, true),
            Some(CallType::Screen) => self.page_or_screen(obj, false),
            Some(CallType::Group) => self.group(obj),
            Some(CallType::Alias) => {}
            None => {}
        }
        self.size(value);
    }

    fn call_type(&mut self, obj: &Map<String, Value>) -> Option<CallType> {
        match obj.get("type") {
            None => {
                self.error(
                    "$.type".into(),
                    "The event has no type. Set it to identify, track, page, screen, group or alias."
                        .into(),
                );
                None
            }
            Some(Value::String(s)) => {
                let c = CallType::parse(s);
                if c.is_none() {
                    let hint = CallType::parse(&s.to_ascii_lowercase())
                        .map(|c| format!(" Types are lowercase: did you mean \"{c}\"?"))
                        .unwrap_or_default();
                    self.error(
                        "$.type".into(),
                        format!(
                            "\"{s}\" is not a Segment call. Use identify, track, page, screen, group or alias.{hint}"
                        ),
                    );
                }
                c
            }
            Some(other) => {
                self.error(
                    "$.type".into(),
                    format!("type must be a string, not {}.", kind_of(other)),
                );
                None
            }
        }
    }

    /// A string field that may be absent; returns its text when it is a non-empty string.
    fn opt_string<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        key: &str,
        parent: &str,
    ) -> Option<&'a str> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                let shown = match other {
                    Value::Number(n) => format!(" Write it as a string: \"{n}\"."),
                    _ => String::new(),
                };
                self.error(
                    path::key(parent, key),
                    format!("{key} must be a string, not {}.{shown}", kind_of(other)),
                );
                None
            }
        }
    }

    fn ids(&mut self, obj: &Map<String, Value>, call: Option<CallType>) {
        let user = self.opt_string(obj, "userId", "$").is_some();
        let anon = self.opt_string(obj, "anonymousId", "$").is_some();
        if call == Some(CallType::Alias) {
            let prev = self.opt_string(obj, "previousId", "$").is_some();
            if !prev {
                self.error(
                    "$.previousId".into(),
                    "An alias needs previousId: the old id (often the anonymousId) being merged."
                        .into(),
                );
            }
            if !user {
                self.error(
                    "$.userId".into(),
                    "An alias needs userId: the new id the user is known by.".into(),
                );
            }
            return;
        }
        // An id of the wrong type is already reported; "neither" would only repeat it.
        let ill_typed = |k: &str| matches!(obj.get(k), Some(v) if !v.is_string() && !v.is_null());
        if !user && !anon && call.is_some() && !ill_typed("userId") && !ill_typed("anonymousId") {
            self.error(
                "$.userId".into(),
                "Every call needs a userId or an anonymousId; this event has neither.".into(),
            );
        }
    }

    fn message_id(&mut self, obj: &Map<String, Value>) {
        if let Some(id) = self.opt_string(obj, "messageId", "$") {
            let n = id.chars().count();
            if n > MAX_MESSAGE_ID_CHARS {
                self.error(
                    "$.messageId".into(),
                    format!(
                        "messageId is {n} characters long; Segment allows at most {MAX_MESSAGE_ID_CHARS}."
                    ),
                );
            }
        }
    }

    fn time_field(&mut self, obj: &Map<String, Value>, key: &str) {
        if let Some(Value::String(s)) = obj.get(key)
            && let Err(why) = parse_iso8601(s)
        {
            self.error(path::key("$", key), format!("{key} {why}."));
            return;
        }
        self.opt_string(obj, key, "$");
    }

    fn object_field<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        key: &str,
        parent: &str,
    ) -> Option<&'a Map<String, Value>> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Object(o)) => Some(o),
            Some(other) => {
                self.error(
                    path::key(parent, key),
                    format!("{key} must be an object, not {}.", kind_of(other)),
                );
                None
            }
        }
    }

    fn str_or_num(&mut self, obj: &Map<String, Value>, key: &str, parent: &str) {
        match obj.get(key) {
            None | Some(Value::Null) | Some(Value::String(_)) | Some(Value::Number(_)) => {}
            Some(other) => self.error(
                path::key(parent, key),
                format!(
                    "{key} must be a string or a number, not {}.",
                    kind_of(other)
                ),
            ),
        }
    }

    fn context(&mut self, obj: &Map<String, Value>) {
        let Some(Value::Object(ctx)) = obj.get("context") else {
            return;
        };
        let p = "$.context";
        for key in ["ip", "locale", "timezone", "userAgent", "groupId"] {
            self.opt_string(ctx, key, p);
        }
        for key in [
            "app",
            "campaign",
            "device",
            "library",
            "location",
            "network",
            "os",
            "page",
            "referrer",
            "screen",
            "traits",
            "personas",
            "userAgentData",
        ] {
            self.object_field(ctx, key, p);
        }
        self.str_or_num(ctx, "channel", p);
        if let Some(Value::Object(page)) = ctx.get("page") {
            for key in PAGE_RESERVED {
                self.opt_string(page, key, "$.context.page");
            }
        }
        if let Some(Value::Object(traits)) = ctx.get("traits") {
            self.reserved_traits(traits, "$.context.traits");
        }
        if let Some(active) = ctx.get("active")
            && !active.is_boolean()
        {
            self.error(
                "$.context.active".into(),
                format!(
                    "context.active must be true or false, not {}.",
                    kind_of(active)
                ),
            );
        }
    }

    fn integrations(&mut self, obj: &Map<String, Value>) {
        let Some(ints) = self.object_field(obj, "integrations", "$") else {
            return;
        };
        for (k, v) in ints {
            if !(v.is_boolean() || v.is_object()) {
                self.warn(
                    path::key("$.integrations", k),
                    format!(
                        "integrations.{k} is {}; Segment reads only false as off, so this counts as on. Use true, false or an object of options.",
                        kind_of(v)
                    ),
                );
            }
        }
    }

    fn reserved_traits(&mut self, traits: &Map<String, Value>, parent: &str) {
        for key in RESERVED_STRING_TRAITS {
            if let Some(v) = traits.get(*key)
                && !(v.is_string() || v.is_null())
            {
                self.warn(
                    path::key(parent, key),
                    format!(
                        "The reserved trait {key} should be a string, not {}.",
                        kind_of(v)
                    ),
                );
            }
        }
        if let Some(Value::String(email)) = traits.get("email")
            && !looks_like_email(email)
        {
            self.warn(
                path::key(parent, "email"),
                format!("\"{email}\" does not look like an email address."),
            );
        }
        if let Some(v) = traits.get("age")
            && !(v.is_number() || v.is_null())
        {
            self.warn(
                path::key(parent, "age"),
                format!(
                    "The reserved trait age should be a number, not {}.",
                    kind_of(v)
                ),
            );
        }
        for key in ["address", "company"] {
            if let Some(v) = traits.get(key)
                && !(v.is_object() || v.is_null() || (key == "company" && v.is_string()))
            {
                self.warn(
                    path::key(parent, key),
                    format!(
                        "The reserved trait {key} should be an object, not {}.",
                        kind_of(v)
                    ),
                );
            }
        }
        for key in ["createdAt", "created_at", "birthday"] {
            if let Some(Value::String(s)) = traits.get(key)
                && parse_iso8601(s).is_err()
                && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err()
            {
                self.warn(
                    path::key(parent, key),
                    format!("The reserved trait {key} should be an ISO-8601 date, not \"{s}\"."),
                );
            }
        }
    }

    fn identify(&mut self, obj: &Map<String, Value>) {
        if let Some(traits) = self.object_field(obj, "traits", "$") {
            self.reserved_traits(traits, "$.traits");
        }
    }

    fn track(&mut self, obj: &Map<String, Value>) {
        if self.opt_string(obj, "event", "$").is_none()
            && !matches!(obj.get("event"), Some(v) if !v.is_string() && !v.is_null())
        {
            self.error(
                "$.event".into(),
                "A track call needs event: the name of the action, such as \"Order Completed\"."
                    .into(),
            );
        }
        let Some(props) = self.object_field(obj, "properties", "$") else {
            return;
        };
        for key in ["revenue", "value"] {
            if let Some(v) = props.get(key)
                && !(v.is_number() || v.is_null())
            {
                self.warn(
                    path::key("$.properties", key),
                    format!(
                        "The reserved property {key} should be a number, not {}.",
                        kind_of(v)
                    ),
                );
            }
        }
        if let Some(c) = props.get("currency") {
            let ok = c
                .as_str()
                .is_some_and(|s| s.len() == 3 && s.chars().all(|ch| ch.is_ascii_uppercase()));
            if !ok {
                self.warn(
                    "$.properties.currency".into(),
                    format!(
                        "currency should be an ISO 4217 code of three capital letters such as \"USD\", not {}.",
                        shown(c)
                    ),
                );
            }
        }
    }

    fn page_or_screen(&mut self, obj: &Map<String, Value>, page: bool) {
        self.opt_string(obj, "name", "$");
        self.opt_string(obj, "category", "$");
        let Some(props) = self.object_field(obj, "properties", "$") else {
            return;
        };
        if page {
            for key in PAGE_RESERVED {
                if let Some(v) = props.get(*key)
                    && !(v.is_string() || v.is_null())
                {
                    self.warn(
                        path::key("$.properties", key),
                        format!(
                            "The reserved page property {key} should be a string, not {}.",
                            kind_of(v)
                        ),
                    );
                }
            }
            if let Some(k) = props.get("keywords")
                && !k.as_array().is_some_and(|a| a.iter().all(Value::is_string))
            {
                self.warn(
                    "$.properties.keywords".into(),
                    "The reserved page property keywords should be an array of strings.".into(),
                );
            }
        }
    }

    fn group(&mut self, obj: &Map<String, Value>) {
        if self.opt_string(obj, "groupId", "$").is_none()
            && !matches!(obj.get("groupId"), Some(v) if !v.is_string() && !v.is_null())
        {
            self.error(
                "$.groupId".into(),
                "A group call needs groupId: the id of the account or company.".into(),
            );
        }
        if let Some(traits) = self.object_field(obj, "traits", "$") {
            for key in [
                "description",
                "email",
                "id",
                "industry",
                "name",
                "phone",
                "website",
                "plan",
                "avatar",
            ] {
                if let Some(v) = traits.get(key)
                    && !(v.is_string() || v.is_null())
                {
                    self.warn(
                        path::key("$.traits", key),
                        format!(
                            "The reserved group trait {key} should be a string, not {}.",
                            kind_of(v)
                        ),
                    );
                }
            }
            if let Some(v) = traits.get("employees")
                && !(v.is_number() || v.is_null() || v.is_string())
            {
                self.warn(
                    "$.traits.employees".into(),
                    format!(
                        "The reserved group trait employees should be a number, not {}.",
                        kind_of(v)
                    ),
                );
            }
        }
    }

    fn size(&mut self, value: &Value) {
        let bytes = compact_len(value);
        if bytes > MAX_EVENT_BYTES {
            self.error(
                "$".into(),
                format!(
                    "The event is {:.1} KB; Segment refuses events over 32 KB. Move large values out of traits or properties.",
                    bytes as f64 / 1024.0
                ),
            );
        }
    }
}

/// The length of the event as compact JSON, counted as it is written rather than collected:
/// building the text only to measure it was a tenth of a translation.
fn compact_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        Err(_) => 0,
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        other => kind_of(other).to_string(),
    }
}
