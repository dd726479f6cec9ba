//! `tenants/`: `tenant` and `cluster` blocks, evaluated once into the objects templates see.

use hcl::edit::Span as _;
use hcl::edit::structure::{Attribute, Block, Structure};

use super::checks::{ValueShape, strings_in};
use super::{Loader, ParsedFile};
use crate::diagnostic::{Code, Diagnostic, FileId, Spanned, join_help, suggestion_help};
use crate::model::{Cluster, Tenant};

pub const CLUSTER_ATTRS: &[&str] = &["region", "notify", "tags", "vars"];

pub const TENANT_ATTRS: &[&str] = &["cluster", "notify", "tags", "vars"];

impl Loader {
    pub(super) fn load_tenants_file(&mut self, file: Option<ParsedFile>) {
        let Some(ParsedFile { id, body }) = file else {
            return;
        };
        for structure in body.iter() {
            match structure {
                Structure::Block(block) if block.ident.as_str() == "cluster" => {
                    self.load_cluster(id, block)
                }
                Structure::Block(block) if block.ident.as_str() == "tenant" => {
                    self.load_tenant(id, block)
                }
                Structure::Block(block)
                    if matches!(block.ident.as_str(), "locals" | "tenant_vars" | "cluster_vars") => {}
                Structure::Block(block) => self.unknown_block(
                    id,
                    block,
                    &["cluster", "tenant", "locals", "tenant_vars", "cluster_vars"],
                    "a tenants file",
                ),
                Structure::Attribute(attr) => self.error(
                    Diagnostic::error(
                        Code::UnknownAttribute,
                        self.span(id, attr.key.span()),
                        format!("unexpected attribute `{}` at the top of a tenants file", attr.key.as_str()),
                    )
                    .label("not inside a block")
                    .help("tenants files hold `cluster \"name\" { ... }` and `tenant \"name\" { ... }` blocks"),
                ),
            }
        }
    }

    pub(super) fn load_cluster(&mut self, id: FileId, block: &Block) {
        let Some(name) = self.block_name(id, block, "cluster") else {
            return;
        };
        let mut object = self.block_object(id, block, CLUSTER_ATTRS, "cluster");
        let vars_in_error = self.typed_vars(id, block, "cluster", &name, &mut object);
        let notify = strings_in(object.get("notify"));
        object.insert("name".into(), name.value.clone().into());
        if self.is_duplicate(&name, "cluster") {
            return;
        }
        self.model.clusters.push(Cluster {
            name,
            value: hcl::Value::Object(object),
            notify,
            vars_in_error,
        });
    }

    pub(super) fn load_tenant(&mut self, id: FileId, block: &Block) {
        let Some(name) = self.block_name(id, block, "tenant") else {
            return;
        };
        let mut object = self.block_object(id, block, TENANT_ATTRS, "tenant");
        let vars_in_error = self.typed_vars(id, block, "tenant", &name, &mut object);
        let Some(cluster) = self.required_static_string(id, block, "cluster", "tenant") else {
            return;
        };
        let notify = strings_in(object.get("notify"));
        object.insert("name".into(), name.value.clone().into());
        if self.is_duplicate(&name, "tenant") {
            return;
        }
        self.model.tenants.push(Tenant {
            name,
            cluster,
            value: hcl::Value::Object(object),
            notify,
            vars_in_error,
        });
    }

    /// Evaluates every attribute of a cluster/tenant block into one object.
    pub(super) fn block_object(
        &mut self,
        id: FileId,
        block: &Block,
        allowed: &[&str],
        what: &str,
    ) -> hcl::Map<String, hcl::Value> {
        self.reject_blocks(
            id,
            &block.body,
            what,
            "use attributes such as `vars = { ... }`",
        );
        let mut object = hcl::Map::new();
        for attr in block.body.attributes() {
            if !self.check_known(id, attr, allowed, what) {
                continue;
            }
            if let Some(value) = self.static_value(id, attr)
                && self.check_shape(id, attr, &value)
            {
                object.insert(attr.key.as_str().to_string(), value);
            }
        }
        for key in ["notify", "tags"] {
            object
                .entry(key.to_string())
                .or_insert_with(|| hcl::Value::Array(vec![]));
        }
        object
            .entry("vars".to_string())
            .or_insert_with(|| hcl::Value::Object(hcl::Map::new()));
        object
    }

    /// `notify` and `tags` are lists of strings, `vars` an object, the rest strings.
    pub(super) fn check_shape(&mut self, id: FileId, attr: &Attribute, value: &hcl::Value) -> bool {
        let expected = match attr.key.as_str() {
            "notify" | "tags" => ValueShape::StringList,
            "vars" => ValueShape::Object,
            _ => ValueShape::String,
        };
        if expected.matches(value) {
            return true;
        }
        self.wrong_type(id, attr, expected.describe(), value);
        false
    }

    pub(super) fn check_tenant_clusters(&mut self) {
        let names: Vec<String> = self
            .model
            .clusters
            .iter()
            .map(|c| c.name.value.clone())
            .collect();
        let unknown: Vec<Spanned<String>> = self
            .model
            .tenants
            .iter()
            .filter(|t| !names.contains(&t.cluster.value))
            .map(|t| t.cluster.clone())
            .collect();
        for cluster in unknown {
            let help = join_help(
                suggestion_help(&cluster.value, "cluster", names.iter().map(String::as_str)),
                "clusters are declared with `cluster \"name\" { ... }` in tenants/",
            );
            self.error(
                Diagnostic::error(
                    Code::UnknownCluster,
                    cluster.span,
                    format!("tenant refers to unknown cluster `{}`", cluster.value),
                )
                .label("no cluster with this name")
                .help(help),
            );
        }
    }
}
