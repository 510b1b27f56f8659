//! Reads and validates a Spin application manifest (`spin.toml`, version 2).
//!
//! The schema follows Spin's own manifest v2 (unknown fields are rejected the
//! same way). Features this host does not implement (remote sources, other
//! trigger types, file patterns, component dependencies, ...) are reported as
//! clear errors instead of being silently ignored.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail, ensure};
use indexmap::IndexMap;
use serde::Deserialize;

use crate::outbound::AllowedHosts;
use crate::variables::{Template, validate_variable_name};

/// The only key-value store and SQLite database label this host provides
/// (like `spin up` without a runtime configuration file).
pub const DEFAULT_LABEL: &str = "default";

/// A validated application.
#[derive(Debug)]
pub struct App {
    pub name: String,
    pub version: String,
    /// Directory of the manifest; relative paths in it resolve from here.
    pub dir: PathBuf,
    pub variables: IndexMap<String, VariableDef>,
    pub triggers: Vec<HttpTrigger>,
    pub components: IndexMap<String, ComponentDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableDef {
    #[serde(default)]
    #[expect(dead_code, reason = "documentation for people reading the manifest")]
    pub description: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<String>,
    /// Secret values are never printed; this host never prints variables.
    #[serde(default)]
    #[expect(dead_code, reason = "the host prints no variable values at all")]
    pub secret: bool,
}

/// An `[[trigger.http]]` entry.
#[derive(Debug, Clone)]
pub struct HttpTrigger {
    pub id: String,
    pub route: TriggerRoute,
    pub component: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerRoute {
    /// A routable pattern such as `/v1/...` or `/users/:id`.
    Path(String),
    /// `route = { private = true }`: reachable only through service chaining.
    Private,
}

/// A `[component.<id>]` table.
#[derive(Debug, Clone)]
pub struct ComponentDef {
    pub id: String,
    pub source: PathBuf,
    pub environment: BTreeMap<String, String>,
    /// Component variable name → template over application variables.
    pub variables: BTreeMap<String, Template>,
    pub files: Vec<FileMount>,
    pub key_value_stores: Vec<String>,
    pub sqlite_databases: Vec<String>,
    pub allowed_outbound_hosts: Vec<String>,
    /// Models the component may use through `fermyon:spin/llm`.
    pub ai_models: Vec<String>,
    pub build: Option<BuildDef>,
}

#[derive(Debug, Clone)]
pub struct FileMount {
    pub source: PathBuf,
    pub destination: String,
}

#[derive(Debug, Clone)]
pub struct BuildDef {
    pub commands: Vec<String>,
    pub workdir: PathBuf,
}

/// Loads and validates the manifest at `path`.
///
/// Component sources are not required to exist yet (`up --build` creates
/// them); call [`App::check_sources`] before loading components.
pub fn load(path: &Path) -> Result<App> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read manifest {}", path.display()))?;
    let dir = path
        .canonicalize()
        .with_context(|| format!("cannot resolve manifest path {}", path.display()))?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    parse(&text, &dir).with_context(|| format!("invalid manifest {}", path.display()))
}

/// Parses and validates manifest text whose relative paths resolve from `dir`.
pub fn parse(text: &str, dir: &Path) -> Result<App> {
    let raw: RawManifest = toml::from_str(text).map_err(|e| anyhow!("{}", e.message().trim()))?;
    ensure!(
        raw.spin_manifest_version == 2,
        "spin_manifest_version {} is not supported: this host reads version 2 manifests",
        raw.spin_manifest_version
    );
    ensure!(
        raw.application.trigger.is_empty(),
        "[application.trigger] settings are not supported by this host"
    );

    for name in raw.variables.keys() {
        validate_variable_name(name).with_context(|| format!("invalid variable name {name:?}"))?;
    }
    for (name, var) in &raw.variables {
        ensure!(
            !(var.required && var.default.is_some()),
            "variable {name:?} cannot be both required and have a default"
        );
        ensure!(
            var.required || var.default.is_some(),
            "variable {name:?} must either be required or have a default"
        );
    }

    let mut components = IndexMap::new();
    for (id, raw_component) in raw.component {
        validate_component_id(&id)?;
        let component = raw_component
            .into_component(&id, dir, &raw.variables)
            .with_context(|| format!("invalid component {id:?}"))?;
        components.insert(id, component);
    }

    let mut triggers = Vec::new();
    for (trigger_type, entries) in raw.trigger {
        ensure!(
            trigger_type == "http",
            "trigger type {trigger_type:?} is not supported by this host (only \"http\")"
        );
        for (index, entry) in entries.into_iter().enumerate() {
            let trigger = entry
                .into_trigger(index)
                .with_context(|| format!("invalid [[trigger.http]] entry #{}", index + 1))?;
            ensure!(
                components.contains_key(&trigger.component),
                "trigger {:?} refers to component {:?}, which is not defined",
                trigger.id,
                trigger.component
            );
            triggers.push(trigger);
        }
    }
    ensure!(
        !triggers.is_empty(),
        "the application has no [[trigger.http]] entries"
    );
    check_duplicate_routes(&triggers)?;
    check_chaining_targets(&components)?;

    Ok(App {
        name: raw.application.name,
        version: raw.application.version,
        dir: dir.to_path_buf(),
        variables: raw.variables,
        triggers,
        components,
    })
}

impl App {
    /// Fails with one message naming every component whose `.wasm` is missing.
    pub fn check_sources(&self) -> Result<()> {
        let missing: Vec<String> = self
            .components
            .values()
            .filter(|c| !c.source.is_file())
            .map(|c| format!("  {}: {}", c.id, c.source.display()))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        bail!(
            "component source(s) not found (build them first, e.g. with `up --build`):\n{}",
            missing.join("\n")
        )
    }
}

fn check_duplicate_routes(triggers: &[HttpTrigger]) -> Result<()> {
    let mut seen: IndexMap<&str, &str> = IndexMap::new();
    let mut duplicates = Vec::new();
    for trigger in triggers {
        let TriggerRoute::Path(route) = &trigger.route else {
            continue;
        };
        if let Some(first) = seen.insert(route.as_str(), trigger.component.as_str()) {
            duplicates.push(format!(
                "  route {route:?} is used by both {first:?} and {:?}",
                trigger.component
            ));
        }
    }
    if duplicates.is_empty() {
        return Ok(());
    }
    bail!(
        "duplicate routes (only one component can serve a route):\n{}",
        duplicates.join("\n")
    )
}

/// Service chaining to a component that does not exist can never work.
fn check_chaining_targets(components: &IndexMap<String, ComponentDef>) -> Result<()> {
    for component in components.values() {
        for host in &component.allowed_outbound_hosts {
            if let Some(target) = crate::outbound::literal_chaining_target(host) {
                ensure!(
                    components.contains_key(target),
                    "component {:?} allows service chaining to {host:?}, but there is no component {target:?}",
                    component.id
                );
            }
        }
    }
    Ok(())
}

/// Spin component ids are kebab-case: `ssp`, `thrad-dsp`, `advertiser-api`.
fn validate_component_id(id: &str) -> Result<()> {
    let valid = !id.is_empty()
        && id.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && id.as_bytes()[0].is_ascii_lowercase();
    ensure!(
        valid,
        "component id {id:?} must be kebab-case (lowercase letters, digits and single hyphens, starting with a letter)"
    );
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    spin_manifest_version: u32,
    application: RawApplication,
    #[serde(default)]
    variables: IndexMap<String, VariableDef>,
    #[serde(default)]
    trigger: IndexMap<String, Vec<RawTrigger>>,
    #[serde(default)]
    component: IndexMap<String, RawComponent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApplication {
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    #[expect(dead_code, reason = "accepted for compatibility with Spin manifests")]
    description: String,
    #[serde(default)]
    #[expect(dead_code, reason = "accepted for compatibility with Spin manifests")]
    authors: Vec<String>,
    #[serde(default)]
    #[expect(dead_code, reason = "deployment targets only matter to Spin's tooling")]
    targets: Vec<toml::Value>,
    #[serde(default)]
    trigger: IndexMap<String, toml::Table>,
    #[serde(default)]
    #[expect(dead_code, reason = "tool sections belong to other tools")]
    tool: IndexMap<String, toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrigger {
    #[serde(default)]
    id: Option<String>,
    route: Option<RawRoute>,
    component: Option<toml::Value>,
    #[serde(default)]
    executor: Option<RawExecutor>,
    #[serde(default)]
    static_response: Option<toml::Value>,
    #[serde(default)]
    components: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRoute {
    Path(String),
    Private { private: bool },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExecutor {
    #[serde(rename = "type")]
    kind: String,
}

impl RawTrigger {
    fn into_trigger(self, index: usize) -> Result<HttpTrigger> {
        ensure!(
            self.static_response.is_none(),
            "static_response triggers are not supported by this host"
        );
        ensure!(
            self.components.is_none(),
            "trigger `components` maps are not supported by this host"
        );
        if let Some(executor) = &self.executor {
            ensure!(
                matches!(executor.kind.as_str(), "http" | "spin"),
                "executor type {:?} is not supported by this host (only the default http executor)",
                executor.kind
            );
        }
        let component = match self.component {
            Some(toml::Value::String(id)) => id,
            Some(_) => bail!(
                "inline components are not supported by this host: define a [component.<id>] table and refer to it by id"
            ),
            None => bail!("the trigger has no `component`"),
        };
        let route = match self.route {
            Some(RawRoute::Path(path)) => TriggerRoute::Path(path),
            Some(RawRoute::Private { private: true }) => TriggerRoute::Private,
            Some(RawRoute::Private { private: false }) => bail!(
                "route must be a string pattern or '{{ private = true }}': component {component:?} has {{ private = false }}"
            ),
            None => bail!("the trigger has no `route`"),
        };
        let id = self
            .id
            .unwrap_or_else(|| format!("trigger-{}-{component}", index + 1));
        Ok(HttpTrigger {
            id,
            route,
            component,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    source: toml::Value,
    #[serde(default)]
    #[expect(dead_code, reason = "accepted for compatibility with Spin manifests")]
    description: String,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    files: Vec<RawFileMount>,
    #[serde(default)]
    exclude_files: Vec<String>,
    #[serde(default)]
    allowed_http_hosts: Vec<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default, alias = "key-value-stores")]
    key_value_stores: Vec<String>,
    #[serde(default, alias = "sqlite-databases")]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    ai_models: Vec<String>,
    #[serde(default)]
    #[expect(dead_code, reason = "deployment targets only matter to Spin's tooling")]
    targets: Option<Vec<toml::Value>>,
    #[serde(default)]
    build: Option<RawBuild>,
    #[serde(default)]
    #[expect(dead_code, reason = "tool sections belong to other tools")]
    tool: IndexMap<String, toml::Table>,
    #[serde(default)]
    dependencies_inherit_configuration: Option<bool>,
    #[serde(default)]
    dependencies: IndexMap<String, toml::Value>,
    #[serde(default)]
    profile: IndexMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawFileMount {
    Pattern(String),
    Placement { source: String, destination: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuild {
    command: RawCommands,
    #[serde(default)]
    workdir: Option<String>,
    #[serde(default)]
    #[expect(dead_code, reason = "watch patterns are for `spin watch`")]
    watch: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawCommands {
    Single(String),
    Multiple(Vec<String>),
}

impl RawComponent {
    fn into_component(
        self,
        id: &str,
        dir: &Path,
        app_variables: &IndexMap<String, VariableDef>,
    ) -> Result<ComponentDef> {
        let source = match self.source {
            toml::Value::String(path) => dir.join(path),
            _ => bail!(
                "only local `source` paths are supported by this host (no url or registry sources)"
            ),
        };
        ensure!(
            self.dependencies.is_empty() && self.dependencies_inherit_configuration.is_none(),
            "component dependencies are not supported by this host"
        );
        ensure!(
            self.profile.is_empty(),
            "build profiles are not supported by this host"
        );
        ensure!(
            self.allowed_http_hosts.is_empty(),
            "allowed_http_hosts is deprecated: use allowed_outbound_hosts"
        );
        ensure!(
            self.exclude_files.is_empty(),
            "exclude_files is not supported by this host (file patterns are not supported)"
        );

        let mut variables = BTreeMap::new();
        for (name, template) in self.variables {
            validate_variable_name(&name)
                .with_context(|| format!("invalid component variable name {name:?}"))?;
            let parsed = Template::parse(&template)
                .with_context(|| format!("invalid template for variable {name:?}"))?;
            for reference in parsed.references() {
                ensure!(
                    app_variables.contains_key(reference),
                    "variable {name:?} refers to {reference:?}, which is not an application variable"
                );
            }
            variables.insert(name, parsed);
        }

        let files = self
            .files
            .into_iter()
            .map(|mount| match mount {
                RawFileMount::Placement {
                    source,
                    destination,
                } => {
                    ensure!(
                        destination.starts_with('/'),
                        "file mount destination {destination:?} must be an absolute path"
                    );
                    Ok(FileMount {
                        source: dir.join(source),
                        destination,
                    })
                }
                RawFileMount::Pattern(pattern) => bail!(
                    "file pattern {pattern:?} is not supported by this host: use {{ source = \"dir\", destination = \"/path\" }}"
                ),
            })
            .collect::<Result<Vec<_>>>()?;

        for label in self.key_value_stores.iter().chain(&self.sqlite_databases) {
            ensure!(
                label == DEFAULT_LABEL,
                "store/database label {label:?} is not defined: this host provides only \"default\" (no runtime config)"
            );
        }
        check_unique(&self.key_value_stores, "key_value_stores")?;
        check_unique(&self.sqlite_databases, "sqlite_databases")?;

        AllowedHosts::validate(&self.allowed_outbound_hosts, app_variables)
            .context("invalid allowed_outbound_hosts")?;

        let build = self
            .build
            .map(|build| -> Result<BuildDef> {
                let workdir = match build.workdir {
                    Some(workdir) => {
                        ensure!(
                            Path::new(&workdir).is_relative(),
                            "the build workdir must be relative to the manifest"
                        );
                        dir.join(workdir)
                    }
                    None => dir.to_path_buf(),
                };
                let commands = match build.command {
                    RawCommands::Single(command) => vec![command],
                    RawCommands::Multiple(commands) => commands,
                };
                Ok(BuildDef { commands, workdir })
            })
            .transpose()?;

        Ok(ComponentDef {
            id: id.to_string(),
            source,
            environment: self.environment,
            variables,
            files,
            key_value_stores: self.key_value_stores,
            sqlite_databases: self.sqlite_databases,
            allowed_outbound_hosts: self.allowed_outbound_hosts,
            ai_models: self.ai_models,
            build,
        })
    }
}

fn check_unique(labels: &[String], field: &str) -> Result<()> {
    let mut seen = HashSet::new();
    for label in labels {
        ensure!(seen.insert(label), "{field} lists {label:?} twice");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<App> {
        parse(text, Path::new("/app"))
    }

    const MINIMAL: &str = r#"
        spin_manifest_version = 2
        [application]
        name = "demo"
        [[trigger.http]]
        route = "/..."
        component = "web"
        [component.web]
        source = "web.wasm"
    "#;

    #[test]
    fn a_minimal_manifest_is_accepted() {
        let app = parse_str(MINIMAL).expect("valid manifest");
        assert_eq!(app.name, "demo");
        assert_eq!(app.triggers.len(), 1);
        assert_eq!(app.components["web"].source, Path::new("/app/web.wasm"));
    }

    #[test]
    fn manifest_version_one_is_rejected() {
        let text = MINIMAL.replace("spin_manifest_version = 2", "spin_manifest_version = 1");
        let err = parse_str(&text).expect_err("version 1");
        assert!(err.to_string().contains("version 2"), "{err:#}");
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let text = MINIMAL.replace("source = \"web.wasm\"", "source = \"web.wasm\"\nsorce = 1");
        let err = parse_str(&text).expect_err("unknown field");
        assert!(format!("{err:#}").contains("sorce"), "{err:#}");
    }

    #[test]
    fn a_trigger_for_an_undefined_component_is_rejected() {
        let text = MINIMAL.replace("component = \"web\"", "component = \"nope\"");
        let err = parse_str(&text).expect_err("undefined component");
        assert!(err.to_string().contains("\"nope\""), "{err:#}");
    }

    #[test]
    fn duplicate_routes_are_rejected_with_both_components_named() {
        let text = format!(
            "{MINIMAL}\n[[trigger.http]]\nroute = \"/...\"\ncomponent = \"other\"\n[component.other]\nsource = \"o.wasm\"\n"
        );
        let err = parse_str(&text).expect_err("duplicate");
        let message = format!("{err:#}");
        assert!(
            message.contains("\"web\"") && message.contains("\"other\""),
            "{message}"
        );
    }

    #[test]
    fn private_routes_are_not_duplicates() {
        let text = format!(
            "{MINIMAL}\n[[trigger.http]]\nroute = {{ private = true }}\ncomponent = \"a\"\n[component.a]\nsource = \"a.wasm\"\n[[trigger.http]]\nroute = {{ private = true }}\ncomponent = \"b\"\n[component.b]\nsource = \"b.wasm\"\n"
        );
        let app = parse_str(&text).expect("private routes");
        assert_eq!(app.triggers[1].route, TriggerRoute::Private);
    }

    #[test]
    fn non_default_store_labels_are_rejected() {
        let text = MINIMAL.replace(
            "source = \"web.wasm\"",
            "source = \"web.wasm\"\nkey_value_stores = [\"cache\"]",
        );
        let err = parse_str(&text).expect_err("unknown label");
        assert!(format!("{err:#}").contains("\"cache\""), "{err:#}");
    }

    #[test]
    fn component_variables_must_refer_to_application_variables() {
        let text = MINIMAL.replace(
            "source = \"web.wasm\"",
            "source = \"web.wasm\"\nvariables = { token = \"{{ missing }}\" }",
        );
        let err = parse_str(&text).expect_err("unknown reference");
        assert!(format!("{err:#}").contains("missing"), "{err:#}");
    }

    #[test]
    fn component_ids_must_be_kebab_case() {
        let text = MINIMAL.replace("web", "thrad_dsp");
        let err = parse_str(&text).expect_err("snake case id");
        assert!(err.to_string().contains("kebab-case"), "{err:#}");
    }

    #[test]
    fn chaining_to_a_missing_component_is_rejected() {
        let text = MINIMAL.replace(
            "source = \"web.wasm\"",
            "source = \"web.wasm\"\nallowed_outbound_hosts = [\"http://ghost.spin.internal\"]",
        );
        let err = parse_str(&text).expect_err("missing chaining target");
        assert!(format!("{err:#}").contains("ghost"), "{err:#}");
    }

    #[test]
    fn a_missing_source_is_reported_by_check_sources() {
        let app = parse_str(MINIMAL).expect("valid");
        let err = app.check_sources().expect_err("no wasm at /app/web.wasm");
        assert!(err.to_string().contains("web.wasm"), "{err:#}");
    }
}
