//! Validation violations: one broken rule or remark, its field and message structured.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Name, Text, ViolationCode};
use crate::spec::Naming;

/// The structured form of a violation: its field as a [`Name`] and its message as a [`Text`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct Named {
    field: Option<Name>,
    message: Text,
}

/// One broken rule (an error) or one remark (a warning): `{field, code, message}`.
///
/// `field` and `message` are the snake_case spellings (Rust, Python, C); a violation built
/// with [`named`](Violation::named) also renders in camelCase for Node
/// ([`field_in`](Violation::field_in), [`message_in`](Violation::message_in)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The wire name of the field (`leonardo_guidance_scale`), or the unknown name as given.
    pub field: String,
    /// What kind of rule.
    pub code: ViolationCode,
    /// For people: names the field, the rule and the allowed values.
    pub message: String,
    #[serde(skip)]
    named: Option<Box<Named>>,
}

impl Violation {
    /// A violation of `code` on `field`.
    pub fn new(field: impl Into<String>, code: ViolationCode, message: impl Into<String>) -> Self {
        Violation {
            field: field.into(),
            code,
            message: message.into(),
            named: None,
        }
    }

    /// A violation whose field is an SDK name and whose message holds names, so that each
    /// binding shows them in its own naming.
    pub fn named(field: Name, code: ViolationCode, message: Text) -> Self {
        Violation {
            field: field.in_naming(Naming::Sdk).to_string(),
            code,
            message: message.render(Naming::Sdk),
            named: Some(Box::new(Named {
                field: Some(field),
                message,
            })),
        }
    }

    /// A violation on a field named as given (not renamed per language) with a message that
    /// holds names.
    pub fn with_text(field: impl Into<String>, code: ViolationCode, message: Text) -> Self {
        Violation {
            field: field.into(),
            code,
            message: message.render(Naming::Sdk),
            named: Some(Box::new(Named {
                field: None,
                message,
            })),
        }
    }

    /// The field as `naming` spells it (the field as stored when it is not an SDK name).
    pub fn field_in(&self, naming: Naming) -> &str {
        match self.named.as_ref().and_then(|n| n.field.as_ref()) {
            Some(name) if self.field == name.in_naming(Naming::Sdk) => name.in_naming(naming),
            _ => &self.field,
        }
    }

    /// The message with names spelled as `naming` says (`message` itself is snake_case).
    pub fn message_in(&self, naming: Naming) -> Cow<'_, str> {
        match &self.named {
            Some(n) if n.message.render(Naming::Sdk) == self.message => {
                Cow::Owned(n.message.render(naming))
            }
            _ => Cow::Borrowed(&self.message),
        }
    }

    /// The message as a [`Text`] (with its names when it has them).
    pub fn text(&self) -> Text {
        match &self.named {
            Some(n) if n.message.render(Naming::Sdk) == self.message => n.message.clone(),
            _ => Text::from(self.message.as_str()),
        }
    }

    /// The field as a text part: a [`Name`] when it is one.
    pub(super) fn field_text(&self) -> Text {
        match self.named.as_ref().and_then(|n| n.field.as_ref()) {
            Some(name) if self.field == name.in_naming(Naming::Sdk) => {
                Text::new().name(name.clone())
            }
            _ => Text::from(self.field.as_str()),
        }
    }

    /// The violation with `f` applied to its field and message text (names are kept).
    pub fn map_text(self, f: &dyn Fn(&str) -> String) -> Violation {
        let text = self.text().map_lits(f);
        let field_name = self
            .named
            .as_ref()
            .and_then(|n| n.field.clone())
            .filter(|n| self.field == n.in_naming(Naming::Sdk));
        match field_name {
            Some(name) => Violation::named(name, self.code, text),
            None => Violation::with_text(f(&self.field), self.code, text),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]: {}", self.field, self.code, self.message)
    }
}
