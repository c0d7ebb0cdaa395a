//! Engage audience syncs: the identify (and track) events Engage sends when users enter or
//! leave an audience, as docs/segment-spec.md describes them.

use super::snake::snake_case;
use serde_json::{Value, json};

#[derive(Clone, Debug, PartialEq)]
pub struct Audience {
    /// As the user named it ("Order Completed Last 30days").
    pub name: String,
    pub space_id: String,
    pub computation_id: String,
}

impl Audience {
    /// The trait key Engage writes: snake_case of the audience name.
    pub fn key(&self) -> String {
        snake_case(&self.name)
    }

    fn personas(&self) -> Value {
        json!({
            "computation_class": "audience",
            "computation_id": self.computation_id,
            "computation_key": self.key(),
            "namespace": format!("spa_{}", self.space_id),
            "space_id": self.space_id,
        })
    }

    /// The identify Engage sends for one user: `traits.<key>` true when entered, false when exited.
    pub fn identify(&self, user_id: &str, entered: bool) -> Value {
        let mut traits = serde_json::Map::new();
        traits.insert(self.key(), Value::Bool(entered));
        json!({
            "type": "identify",
            "userId": user_id,
            "traits": traits,
            "context": {"personas": self.personas()},
        })
    }

    /// The track variant: `Audience Entered` / `Audience Exited` with the key in properties.
    pub fn track(&self, user_id: &str, entered: bool) -> Value {
        let mut props = serde_json::Map::new();
        props.insert("audience_key".into(), Value::String(self.key()));
        props.insert(self.key(), Value::Bool(entered));
        json!({
            "type": "track",
            "userId": user_id,
            "event": if entered { "Audience Entered" } else { "Audience Exited" },
            "properties": props,
            "context": {"personas": self.personas()},
        })
    }

    /// One sync: an identify per user, and the track variant too when asked.
    pub fn sync(&self, user_ids: &[String], entered: bool, with_track: bool) -> Vec<Value> {
        let mut out = Vec::new();
        for u in user_ids.iter().map(|u| u.trim()).filter(|u| !u.is_empty()) {
            out.push(self.identify(u, entered));
            if with_track {
                out.push(self.track(u, entered));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audience() -> Audience {
        Audience {
            name: "Order Completed Last 30days".into(),
            space_id: "w5ZnDF".into(),
            computation_id: "aud_9".into(),
        }
    }

    #[test]
    fn identify_matches_the_engage_shape() {
        let e = audience().identify("u-1", true);
        assert_eq!(
            e,
            json!({
                "type": "identify", "userId": "u-1",
                "traits": {"order_completed_last_30days": true},
                "context": {"personas": {
                    "computation_class": "audience", "computation_id": "aud_9",
                    "computation_key": "order_completed_last_30days",
                    "namespace": "spa_w5ZnDF", "space_id": "w5ZnDF"
                }}
            })
        );
        assert_eq!(
            audience().identify("u-1", false)["traits"]["order_completed_last_30days"],
            false
        );
    }

    #[test]
    fn track_variant_and_sync() {
        let t = audience().track("u-2", false);
        assert_eq!(t["event"], "Audience Exited");
        assert_eq!(
            t["properties"]["audience_key"],
            "order_completed_last_30days"
        );
        assert_eq!(t["properties"]["order_completed_last_30days"], false);
        let events = audience().sync(&["a".into(), " ".into(), "b".into()], true, true);
        assert_eq!(events.len(), 4);
        assert_eq!(events[2]["userId"], "b");
        assert_eq!(events[2]["type"], "identify");
    }
}
