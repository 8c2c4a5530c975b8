//! Service-level artifacts (services, integrations, jobs, queues, configuration, data stores,
//! APIs, systems, domains, groups) and the typed links between them and down to tables.
//!
//! They come from CSV inventories, docker-compose files, Kubernetes manifests and Backstage
//! catalogs (see [`crate::import::services`]) and live in the same [`super::Inventory`] as the
//! schema, so one graph goes from services down to tables.
//!
//! **Ids.** A service-level artifact is keyed by its kind and its `id`: the artifact id is
//! `kind:id` (e.g. `service:carts`, `datastore:carts-db`, `api:wayback-archive`), next to
//! `table:schema.name` for tables. Two inputs describing the same artifact (a Kubernetes
//! Deployment and a CSV row adding its owner) merge into one: later inputs fill in or override
//! the fields they set.
//!
//! **Links.** A [`Link`] `from → to` means "`from` depends on `to`" (as every graph edge does):
//! `to` must be migrated, or at least reachable in the target, before `from` moves. Each link
//! says how it was derived, e.g. `env PRODUCT_CATALOG_SERVICE_ADDR=productcatalogservice:3550 in
//! Deployment checkoutservice (kubernetes-manifests/checkoutservice.yaml:52)`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What kind of service-level artifact something is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// A running application component (a Deployment, a compose service, a Backstage Component).
    Service,
    /// A third-party or cross-team integration (gateway, tracing agent, service registry).
    Integration,
    /// A batch or scheduled job (Kubernetes Job/CronJob).
    Job,
    /// A message queue or broker (RabbitMQ, Kafka, NATS).
    Queue,
    /// Configuration (a ConfigMap, a config file shared by services).
    Configuration,
    /// A database or other stateful store (a volume, a MongoDB, a Backstage database Resource).
    DataStore,
    /// An API (Backstage API entity, or one named by `providesApis`).
    Api,
    /// A system: a group of components and APIs (Backstage System).
    System,
    /// A business domain (Backstage Domain).
    Domain,
    /// A team or other owner (Backstage Group).
    Group,
}

impl ServiceKind {
    /// Every kind, in documentation order.
    pub const ALL: [ServiceKind; 10] = [
        Self::Service,
        Self::Integration,
        Self::Job,
        Self::Queue,
        Self::Configuration,
        Self::DataStore,
        Self::Api,
        Self::System,
        Self::Domain,
        Self::Group,
    ];

    /// Lower-case label used in artifact ids, CSV and exports: `service`, `integration`, `job`,
    /// `queue`, `config`, `datastore`, `api`, `system`, `domain`, `group`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Integration => "integration",
            Self::Job => "job",
            Self::Queue => "queue",
            Self::Configuration => "config",
            Self::DataStore => "datastore",
            Self::Api => "api",
            Self::System => "system",
            Self::Domain => "domain",
            Self::Group => "group",
        }
    }

    /// Whether artifacts of this kind hold or move data and so should have a size estimate
    /// (systems, domains and groups only group other artifacts).
    pub fn has_size(self) -> bool {
        !matches!(self, Self::System | Self::Domain | Self::Group)
    }
}

impl fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for ServiceKind {
    type Err = String;

    /// Accepts the labels of [`ServiceKind::label`] plus common spellings (`data-store`,
    /// `database`, `configuration`, `component`, `resource`), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Ok(match lower.as_str() {
            "service" | "component" | "website" | "app" | "application" => Self::Service,
            "integration" => Self::Integration,
            "job" | "cronjob" | "batch" => Self::Job,
            "queue" | "broker" | "topic" => Self::Queue,
            "config" | "configuration" | "configmap" => Self::Configuration,
            "datastore" | "data-store" | "data_store" | "database" | "db" | "store"
            | "resource" => Self::DataStore,
            "api" => Self::Api,
            "system" => Self::System,
            "domain" => Self::Domain,
            "group" | "team" => Self::Group,
            _ => {
                return Err(format!(
                    "unknown kind `{s}` (expected one of service, integration, job, queue, config, datastore, api, system, domain, group)"
                ))
            }
        })
    }
}

/// How much the business depends on an artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criticality {
    /// Can be down for a day.
    Low,
    /// Degrades a feature when down.
    Medium,
    /// Degrades the product when down.
    High,
    /// The product is down when it is down.
    Critical,
}

impl fmt::Display for Criticality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        })
    }
}

impl FromStr for Criticality {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" | "1" => Ok(Self::Low),
            "medium" | "2" => Ok(Self::Medium),
            "high" | "3" => Ok(Self::High),
            "critical" | "4" => Ok(Self::Critical),
            _ => Err(format!(
                "unknown criticality `{s}` (expected low, medium, high or critical)"
            )),
        }
    }
}

/// A service-level artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Key within its kind, e.g. `carts-db` (the artifact id is `kind:id`).
    pub id: String,
    /// Kind.
    pub kind: ServiceKind,
    /// Display name; the id when the input gives none.
    pub name: String,
    /// Owning team or person, when known.
    pub owner: Option<String>,
    /// System (for a system: its domain; for a domain: its parent domain), when known.
    pub system: Option<String>,
    /// Estimated size in bytes of the data it holds or moves (0 for a stateless service);
    /// `None` = unknown.
    pub size: Option<u64>,
    /// Criticality, when known.
    pub criticality: Option<Criticality>,
    /// Container image, when it runs one.
    pub image: Option<String>,
    /// Connection name: the schema (or live input) whose tables this artifact uses or holds.
    pub connection: Option<String>,
    /// Tables it uses or holds, as `schema.name`, `name` or `schema.*`.
    pub tables: Vec<String>,
    /// File it was declared in (relative to the project), or the input label.
    pub source: String,
    /// 1-based line of the declaration.
    pub line: Option<usize>,
}

impl Service {
    /// An artifact with only a kind, id and source; the name is the id.
    pub fn new(kind: ServiceKind, id: &str, source: &str, line: Option<usize>) -> Self {
        Self {
            id: id.to_owned(),
            kind,
            name: id.to_owned(),
            owner: None,
            system: None,
            size: None,
            criticality: None,
            image: None,
            connection: None,
            tables: Vec::new(),
            source: source.to_owned(),
            line,
        }
    }

    /// The artifact id, `kind:id`.
    pub fn artifact_id(&self) -> String {
        format!("{}:{}", self.kind.label(), self.id)
    }

    /// Fills in (or overrides) the fields `later` sets: the rule for one artifact described by
    /// several inputs. Tables are added to.
    pub fn absorb(&mut self, later: Service) {
        if later.name != later.id {
            self.name = later.name;
        }
        macro_rules! take {
            ($($field:ident),*) => {$(
                if later.$field.is_some() {
                    self.$field = later.$field;
                }
            )*};
        }
        take!(owner, system, size, criticality, image, connection);
        for table in later.tables {
            if !self.tables.contains(&table) {
                self.tables.push(table);
            }
        }
    }
}

/// Why one artifact depends on another (see the module docs for the direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkKind {
    /// `from` calls `to` (HTTP, gRPC, a network connection).
    Calls,
    /// `from` reads the data store `to`.
    Reads,
    /// `from` writes the data store `to`.
    Writes,
    /// `from` publishes to the queue `to`.
    Publishes,
    /// `from` consumes from the queue `to`.
    Consumes,
    /// `from` (a scheduler) triggers the job `to`.
    Schedules,
    /// `from` reads its configuration from `to` (`to` configures `from`).
    Configures,
    /// `from` needs `to` running first (compose `depends_on`, Backstage `dependsOn`).
    DependsOn,
    /// The API `from` is provided by the component `to`.
    ProvidesApi,
    /// `from` consumes the API `to`.
    ConsumesApi,
    /// `from` reads or writes the table `to`.
    UsesTable,
    /// The data store `from` holds the table `to` (it moves when its tables have moved).
    Contains,
    /// `from` is a part (subcomponent) of `to`.
    PartOf,
}

impl LinkKind {
    /// Every kind, in documentation order.
    pub const ALL: [LinkKind; 13] = [
        Self::Calls,
        Self::Reads,
        Self::Writes,
        Self::Publishes,
        Self::Consumes,
        Self::Schedules,
        Self::Configures,
        Self::DependsOn,
        Self::ProvidesApi,
        Self::ConsumesApi,
        Self::UsesTable,
        Self::Contains,
        Self::PartOf,
    ];

    /// Kebab-case label, as in CSV and exports: `calls`, `reads`, `writes`, `publishes`,
    /// `consumes`, `schedules`, `configures`, `depends-on`, `provides-api`, `consumes-api`,
    /// `uses-table`, `contains`, `part-of`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Calls => "calls",
            Self::Reads => "reads",
            Self::Writes => "writes",
            Self::Publishes => "publishes",
            Self::Consumes => "consumes",
            Self::Schedules => "schedules",
            Self::Configures => "configures",
            Self::DependsOn => "depends-on",
            Self::ProvidesApi => "provides-api",
            Self::ConsumesApi => "consumes-api",
            Self::UsesTable => "uses-table",
            Self::Contains => "contains",
            Self::PartOf => "part-of",
        }
    }
}

impl fmt::Display for LinkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A typed dependency between two artifacts, with how it was derived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Dependent artifact id (`kind:id`).
    pub from: String,
    /// Dependency: an artifact id once resolved (`service:x`, `table:schema.name`); as written
    /// in the input until then (a bare name, `schema.*`).
    pub to: String,
    /// Kind.
    pub kind: LinkKind,
    /// How it was derived, naming the declaration and its `file:line`.
    pub derivation: String,
    /// File it came from.
    pub source: String,
    /// 1-based line of the declaration.
    pub line: Option<usize>,
}

/// Parses a size: plain bytes (`1048576`), or a number with a unit, decimal (`kB`, `MB`, `GB`,
/// `TB`) or binary (`KiB`, `MiB`, `GiB`, `TiB`, and Kubernetes' `Ki`, `Mi`, `Gi`, `Ti`).
///
/// # Errors
/// A message naming the text when it is not a size.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 1048576, 20GB, 1.5GiB, 512Mi)"))?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "ki" | "kib" => 1024.0,
        "mi" | "mib" => 1024.0 * 1024.0,
        "gi" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "ti" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("`{text}`: unknown size unit `{unit}`")),
    };
    let bytes = value * factor;
    if !bytes.is_finite() || bytes > u64::MAX as f64 {
        return Err(format!("`{text}` is too large"));
    }
    Ok(bytes.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
        assert_eq!(parse_size("20GB"), Ok(20_000_000_000));
        assert_eq!(parse_size("1Gi"), Ok(1 << 30));
        assert_eq!(parse_size("1.5 KiB"), Ok(1536));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5 parsecs").is_err());
    }
}
