//! The structured parts of a message: [`Name`]s of the SDK and [`Text`] made of them.

use std::borrow::Cow;

use crate::spec::{Naming, to_camel};

/// A name of the SDK that a message mentions (a client option, a parameter, a function), as
/// each language spells it: `snake` for Rust, Python and C (`max_retries`, `get_generation`),
/// `camel` for Node (`maxRetries`, `getGeneration`, or `timeoutMs` where Node's option differs).
///
/// Messages keep such names as structured parts ([`Text`]) so every binding renders them in its
/// own naming ([`Error::message_in`]) instead of rewriting message text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name {
    snake: Cow<'static, str>,
    camel: Cow<'static, str>,
}

impl Name {
    /// A name with both spellings given.
    pub fn new(snake: impl Into<Cow<'static, str>>, camel: impl Into<Cow<'static, str>>) -> Self {
        Name {
            snake: snake.into(),
            camel: camel.into(),
        }
    }

    /// A snake_case name whose camelCase spelling is derived (`get_generation` ->
    /// `getGeneration`).
    pub fn snake(snake: impl Into<Cow<'static, str>>) -> Self {
        let snake = snake.into();
        let camel = Cow::Owned(to_camel(&snake));
        Name { snake, camel }
    }

    /// The spelling under `naming` (wire and SDK names use snake_case, Node camelCase).
    pub fn in_naming(&self, naming: Naming) -> &str {
        match naming {
            Naming::Wire | Naming::Sdk => &self.snake,
            Naming::Camel => &self.camel,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Name(Name),
}

/// A message for people made of literal text and [`Name`]s, rendered per language with
/// [`render`](Text::render).
///
/// ```
/// use visionxl_core::error::{Name, Text};
/// use visionxl_core::Naming;
/// let t = Text::new()
///     .lit("not retried (the ")
///     .name(Name::snake("retry_ambiguous"))
///     .lit(" option opts in)");
/// assert_eq!(t.render(Naming::Sdk), "not retried (the retry_ambiguous option opts in)");
/// assert_eq!(t.render(Naming::Camel), "not retried (the retryAmbiguous option opts in)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    parts: Vec<Part>,
}

impl Text {
    /// An empty text.
    pub fn new() -> Self {
        Text::default()
    }

    /// Appends literal text.
    pub fn lit(mut self, s: impl AsRef<str>) -> Self {
        self.push_lit(s.as_ref());
        self
    }

    /// Appends a name.
    pub fn name(mut self, n: Name) -> Self {
        self.parts.push(Part::Name(n));
        self
    }

    /// `get_generation("<id>")`: the advice to read a record again, with the function's name
    /// spelled per language (`getGeneration("<id>")` in Node).
    pub fn get_generation(id: &str) -> Text {
        Text::new()
            .name(Name::snake("get_generation"))
            .lit(format!("(\"{id}\")"))
    }

    /// Appends another text.
    pub fn text(mut self, other: &Text) -> Self {
        for p in &other.parts {
            match p {
                Part::Lit(s) => self.push_lit(s),
                Part::Name(n) => self.parts.push(Part::Name(n.clone())),
            }
        }
        self
    }

    fn push_lit(&mut self, s: &str) {
        if let Some(Part::Lit(last)) = self.parts.last_mut() {
            last.push_str(s);
        } else if !s.is_empty() {
            self.parts.push(Part::Lit(s.to_string()));
        }
    }

    /// The text with every name spelled as `naming` says.
    pub fn render(&self, naming: Naming) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Name(n) => out.push_str(n.in_naming(naming)),
            }
        }
        out
    }

    /// The text with `f` applied to every literal part (names are kept).
    pub fn map_lits(self, f: &dyn Fn(&str) -> String) -> Text {
        Text {
            parts: self
                .parts
                .into_iter()
                .map(|p| match p {
                    Part::Lit(s) => Part::Lit(f(&s)),
                    n => n,
                })
                .collect(),
        }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::new().lit(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::new().lit(s)
    }
}
