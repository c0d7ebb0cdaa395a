//! The audience sync builder: an audience, a list of user ids and entered or exited become the
//! identify events Engage sends (and the track variant when asked), added to the open set.

use crate::event::audience::Audience;
use serde_json::Value;

pub struct AudienceForm {
    pub open: bool,
    pub name: String,
    pub space_id: String,
    pub computation_id: String,
    /// One id a line (commas separate too).
    pub users: String,
    pub entered: bool,
    pub with_track: bool,
}

impl Default for AudienceForm {
    fn default() -> Self {
        AudienceForm {
            open: false,
            name: "Order Completed Last 30days".into(),
            space_id: "console".into(),
            computation_id: "aud_console".into(),
            users: String::new(),
            entered: true,
            with_track: false,
        }
    }
}

impl AudienceForm {
    pub fn audience(&self) -> Audience {
        Audience {
            name: self.name.trim().to_string(),
            space_id: self.space_id.trim().to_string(),
            computation_id: self.computation_id.trim().to_string(),
        }
    }

    /// The ids in the order typed, each once.
    pub fn user_ids(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in self
            .users
            .split(['\n', ',', '\r'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if !out.iter().any(|o| o == id) {
                out.push(id.to_string());
            }
        }
        out
    }

    /// Why the form cannot make events yet, in words.
    pub fn problem(&self) -> Option<&'static str> {
        if self.name.trim().is_empty() {
            Some("Name the audience.")
        } else if self.audience().key().is_empty() {
            Some("The audience name needs a letter or a digit to make a trait key.")
        } else if self.space_id.trim().is_empty() || self.computation_id.trim().is_empty() {
            Some("Fill in the space id and the computation id.")
        } else if self.user_ids().is_empty() {
            Some("List at least one user id.")
        } else {
            None
        }
    }

    pub fn events(&self) -> Vec<Value> {
        self.audience()
            .sync(&self.user_ids(), self.entered, self.with_track)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_split_trimmed_and_kept_once() {
        let f = AudienceForm {
            users: "u1\n u2 ,u3\n\nu1\r\n".into(),
            ..Default::default()
        };
        assert_eq!(f.user_ids(), vec!["u1", "u2", "u3"]);
        assert_eq!(f.problem(), None);
        let events = f.events();
        assert_eq!(events.len(), 3);
        assert_eq!(events[1]["userId"], "u2");
        assert_eq!(events[1]["traits"]["order_completed_last_30days"], true);
    }

    #[test]
    fn problems_in_words() {
        let f = AudienceForm::default();
        assert_eq!(f.problem(), Some("List at least one user id."));
        let f = AudienceForm {
            name: " !! ".into(),
            users: "u".into(),
            ..Default::default()
        };
        assert_eq!(
            f.problem(),
            Some("The audience name needs a letter or a digit to make a trait key.")
        );
    }
}
