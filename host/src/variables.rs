//! Application variables and the `fermyon:spin/variables` interface.
//!
//! Resolution follows Spin: a `--variable name=value` flag wins, then the
//! environment variable `SPIN_VARIABLE_<NAME>`, then the manifest default. A
//! required variable that nothing provides stops the host at startup. Each
//! component sees only its own `[component.x.variables]`, whose values are
//! templates over application variables (`"{{ admin_token }}"`).

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result, bail, ensure};
use indexmap::IndexMap;

use crate::manifest::{ComponentDef, VariableDef};

/// Prefix of the environment variables that provide application variables.
pub const ENV_PREFIX: &str = "SPIN_VARIABLE_";

/// Checks Spin's variable name rules: lowercase letters, digits and single
/// underscores, starting with a letter and ending with a letter or digit.
pub fn validate_variable_name(name: &str) -> Result<()> {
    ensure!(!name.is_empty(), "must not be empty");
    if let Some(invalid) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        bail!(
            "invalid character {invalid:?}: variable names may contain only lower-case letters, numbers, and underscores"
        );
    }
    ensure!(
        name.as_bytes()[0].is_ascii_lowercase(),
        "must start with a lowercase ASCII letter"
    );
    ensure!(
        name.as_bytes()[name.len() - 1].is_ascii_alphanumeric(),
        "must end with a lowercase ASCII letter or digit"
    );
    ensure!(
        !name.contains("__"),
        "must not contain multiple consecutive underscores"
    );
    Ok(())
}

/// A string with `{{ variable }}` expressions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(String),
}

impl Template {
    pub fn parse(text: &str) -> Result<Self> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_string()));
            }
            let after_open = &rest[start + 2..];
            let end = after_open
                .find("}}")
                .with_context(|| format!("unterminated expression in {text:?}"))?;
            let name = after_open[..end].trim();
            validate_variable_name(name)
                .with_context(|| format!("invalid variable reference {name:?}"))?;
            parts.push(Part::Variable(name.to_string()));
            rest = &after_open[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Self { parts })
    }

    /// True when the template has no expressions.
    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Literal(_)))
    }

    /// The application variables the template refers to.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Variable(name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Renders the template with resolved application variable values.
    pub fn render(&self, values: &HashMap<String, String>) -> Result<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Variable(name) => out.push_str(
                    values
                        .get(name)
                        .with_context(|| format!("no value for variable {name:?}"))?,
                ),
            }
        }
        Ok(out)
    }
}

/// Application variable values, resolved once at startup.
#[derive(Debug, Clone, Default)]
pub struct ResolvedVariables {
    values: HashMap<String, String>,
}

impl ResolvedVariables {
    /// Resolves every application variable from the CLI overrides, the given
    /// environment lookup and the manifest defaults, in that order.
    pub fn resolve(
        definitions: &IndexMap<String, VariableDef>,
        cli_overrides: &BTreeMap<String, String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        for name in cli_overrides.keys() {
            ensure!(
                definitions.contains_key(name),
                "--variable {name:?} is not an application variable of this manifest"
            );
        }
        let mut values = HashMap::new();
        let mut unresolved = Vec::new();
        for (name, definition) in definitions {
            let env_key = format!("{ENV_PREFIX}{}", name.to_ascii_uppercase());
            let value = cli_overrides
                .get(name)
                .cloned()
                .or_else(|| env(&env_key))
                .or_else(|| definition.default.clone());
            match value {
                Some(value) => {
                    values.insert(name.clone(), value);
                }
                None => unresolved.push(name.as_str()),
            }
        }
        ensure!(
            unresolved.is_empty(),
            "no value for required variable(s) {unresolved:?}: pass --variable name=value or set {ENV_PREFIX}<NAME>"
        );
        Ok(Self { values })
    }

    #[cfg(test)]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn values(&self) -> &HashMap<String, String> {
        &self.values
    }

    /// Renders a component's variables into the values it will read.
    pub fn for_component(&self, component: &ComponentDef) -> Result<ComponentVariables> {
        let mut values = HashMap::new();
        for (name, template) in &component.variables {
            let value = template
                .render(&self.values)
                .with_context(|| format!("component {:?} variable {name:?}", component.id))?;
            values.insert(name.clone(), value);
        }
        Ok(ComponentVariables {
            component_id: component.id.clone(),
            values,
        })
    }
}

/// The variables one component may read.
#[derive(Debug, Clone, Default)]
pub struct ComponentVariables {
    component_id: String,
    values: HashMap<String, String>,
}

/// Why a variable lookup failed, mirroring the `variables.error` variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    InvalidName(String),
    Undefined(String),
}

impl ComponentVariables {
    pub fn get(&self, name: &str) -> Result<String, LookupError> {
        validate_variable_name(name)
            .map_err(|e| LookupError::InvalidName(format!("{name:?}: {e}")))?;
        self.values.get(name).cloned().ok_or_else(|| {
            LookupError::Undefined(format!("no variable for {:?}.{name:?}", self.component_id))
        })
    }
}

pub use host::{VariablesData, VariablesView};

mod host {
    //! The `fermyon:spin/variables@2.0.0` host implementation.

    use wasmtime::component::HasData;

    use super::{ComponentVariables, LookupError};
    use crate::bindings::fermyon::spin::variables::{Error, Host};

    /// Marker connecting a component's variables to the linker.
    pub struct VariablesData;

    /// A component's variables as one instance reads them, with its count
    /// of reads (each a host call, dear under `spin up`).
    pub struct VariablesView<'a> {
        pub variables: &'a ComponentVariables,
        pub reads: &'a mut u32,
    }

    impl HasData for VariablesData {
        type Data<'a> = VariablesView<'a>;
    }

    impl Host for VariablesView<'_> {
        async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, Error>> {
            *self.reads += 1;
            Ok(self.variables.get(&name).map_err(|e| match e {
                LookupError::InvalidName(msg) => Error::InvalidName(msg),
                LookupError::Undefined(msg) => Error::Undefined(msg),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(default: Option<&str>) -> VariableDef {
        VariableDef {
            description: None,
            required: default.is_none(),
            default: default.map(String::from),
            secret: false,
        }
    }

    #[test]
    fn variable_names_follow_spin_rules() {
        assert!(validate_variable_name("admin_token").is_ok());
        assert!(validate_variable_name("a1").is_ok());
        for bad in ["", "Admin", "1a", "a-b", "a__b", "a_", "_a"] {
            assert!(
                validate_variable_name(bad).is_err(),
                "{bad:?} should be invalid"
            );
        }
    }

    #[test]
    fn templates_render_literals_and_expressions() {
        let template = Template::parse("Bearer {{ token }}!").expect("valid");
        let values = HashMap::from([("token".to_string(), "abc".to_string())]);
        assert_eq!(template.render(&values).expect("render"), "Bearer abc!");
        assert_eq!(template.references().collect::<Vec<_>>(), ["token"]);
        assert!(!template.is_literal());
        assert!(Template::parse("plain").expect("valid").is_literal());
    }

    #[test]
    fn unterminated_templates_are_rejected() {
        assert!(Template::parse("{{ token").is_err());
        assert!(Template::parse("{{ Token }}").is_err());
    }

    #[test]
    fn cli_beats_environment_beats_default() {
        let defs = IndexMap::from([
            ("a".to_string(), def(Some("default-a"))),
            ("b".to_string(), def(Some("default-b"))),
            ("c".to_string(), def(Some("default-c"))),
        ]);
        let cli = BTreeMap::from([("a".to_string(), "cli-a".to_string())]);
        let env = |key: &str| match key {
            "SPIN_VARIABLE_A" => Some("env-a".to_string()),
            "SPIN_VARIABLE_B" => Some("env-b".to_string()),
            _ => None,
        };
        let resolved = ResolvedVariables::resolve(&defs, &cli, env).expect("resolves");
        assert_eq!(resolved.get("a"), Some("cli-a"));
        assert_eq!(resolved.get("b"), Some("env-b"));
        assert_eq!(resolved.get("c"), Some("default-c"));
    }

    #[test]
    fn a_required_variable_without_a_value_stops_startup() {
        let defs = IndexMap::from([("secret".to_string(), def(None))]);
        let err = ResolvedVariables::resolve(&defs, &BTreeMap::new(), |_| None).expect_err("unset");
        assert!(err.to_string().contains("secret"), "{err:#}");
    }

    #[test]
    fn component_lookups_distinguish_invalid_and_undefined_names() {
        let vars = ComponentVariables {
            component_id: "web".into(),
            values: HashMap::from([("token".into(), "t".into())]),
        };
        assert_eq!(vars.get("token"), Ok("t".to_string()));
        assert!(matches!(
            vars.get("Token"),
            Err(LookupError::InvalidName(_))
        ));
        assert!(matches!(vars.get("other"), Err(LookupError::Undefined(_))));
    }
}
