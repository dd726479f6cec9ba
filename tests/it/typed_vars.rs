//! Typed tenant and cluster vars: `tenant_vars { variable "x" { type, default, validation } }`
//! as Terraform declares variables (developer.hashicorp.com/terraform/language/values/variables:
//! type constraints, `optional(type, default)`, custom validation rules). Each tenant is
//! checked at its own file and line; values are converted and defaults filled in.

use std::path::{Path, PathBuf};

use monc::load::LoadOptions;

use crate::common::monc_in;

const SCHEMA: &str = r#"
tenant_vars {
  variable "service" {
    type = string
  }
  variable "error_rate_max" {
    type    = number
    default = 0.05
    validation {
      condition     = var.error_rate_max > 0 && var.error_rate_max < 1
      error_message = "error_rate_max is a fraction, between 0 and 1."
    }
  }
  # Terraform's documented optional attributes.
  variable "apm" {
    type = object({
      a = string
      b = optional(string)
      c = optional(number, 127)
    })
    default = { a = "off" }
  }
}
"#;

const MONITORS: &str = r#"
monitor "errors" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] errors (${tenant.vars.apm.a}, ${tenant.vars.apm.c})"
  type     = "metric alert"
  query    = "avg(last_5m):avg:errors{service:${tenant.vars.service}} > ${tenant.vars.error_rate_max}"
  thresholds = { critical = tenant.vars.error_rate_max }
  notify     = ["@slack-oncall"]
}
"#;

fn project(name: &str, monc_hcl: &str, tenants: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("typed_vars")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("monc.hcl"), monc_hcl).expect("write");
    std::fs::write(dir.join("tenants.hcl"), tenants).expect("write");
    std::fs::write(dir.join("monitors.hcl"), MONITORS).expect("write");
    dir
}

fn tenant(name: &str, vars: &str) -> String {
    format!("tenant \"{name}\" {{\n  cluster = \"tokyo\"\n  vars = {vars}\n}}\n")
}

#[test]
fn values_are_converted_to_their_type_and_defaults_filled_in() {
    let tenants = format!(
        "cluster \"tokyo\" {{}}\n{}{}",
        // A numeric string where a number belongs: the number 0.1, as in Terraform.
        tenant(
            "acme",
            r#"{ service = "acme-api", error_rate_max = "0.10", apm = { a = "on" } }"#
        ),
        tenant("globex", r#"{ service = "globex-api" }"#),
    );
    // The declaration in monc.hcl.
    let dir = project("convert", SCHEMA, &tenants);
    let checked = monc::check(&LoadOptions::in_dir(&dir)).expect("loads");
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let monitor = |key: &str| {
        checked
            .graph
            .monitors
            .iter()
            .find(|m| m.key == key)
            .unwrap_or_else(|| panic!("no {key}"))
    };
    let acme = monitor("l3/errors/acme");
    assert_eq!(
        acme.body.query,
        "avg(last_5m):avg:errors{service:acme-api} > 0.1"
    );
    assert_eq!(acme.body.name, "[acme] errors (on, 127)");
    assert_eq!(
        acme.body.options["thresholds"]["critical"],
        serde_json::json!(0.1)
    );
    let globex = monitor("l3/errors/globex");
    assert_eq!(
        globex.body.query,
        "avg(last_5m):avg:errors{service:globex-api} > 0.05"
    );
    assert_eq!(globex.body.name, "[globex] errors (off, 127)");
}

/// `monc validate` of a project whose schema is in a file of tenants/: the exit code, and the
/// one-line-per-problem report (`file:line:col: error[code]: message`) followed by the human
/// one (for the help lines).
fn validate(name: &str, tenants: &str) -> (Option<i32>, String) {
    let dir = project(
        name,
        "",
        &format!("{SCHEMA}\ncluster \"tokyo\" {{}}\n{tenants}"),
    );
    let short = monc_in(&dir)
        .args(["validate", "--format", "short"])
        .output()
        .expect("runs");
    let human = monc_in(&dir).arg("validate").output().expect("runs");
    assert_eq!(short.status.code(), human.status.code());
    (
        human.status.code(),
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&short.stdout),
            String::from_utf8_lossy(&human.stderr)
        ),
    )
}

/// The line of `needle` in the tenants file `validate` writes (the schema, then the cluster).
fn line_of(tenants: &str, needle: &str) -> usize {
    let text = format!("{SCHEMA}\ncluster \"tokyo\" {{}}\n{tenants}");
    text.lines()
        .position(|l| l.contains(needle))
        .expect("the needle")
        + 1
}

#[test]
fn each_tenant_is_checked_at_its_own_file_and_line() {
    let tenants = format!(
        "{}{}{}",
        tenant(
            "acme",
            r#"{ service = "acme-api", error_rate_max = "lots" }"#
        ),
        tenant("globex", r#"{ servce = "globex-api" }"#),
        tenant(
            "initech",
            r#"{ service = "initech-api", error_rate_max = 5 }"#
        ),
    );
    let (code, stderr) = validate("mistakes", &tenants);
    assert_eq!(code, Some(1), "{stderr}");
    // Wrong type, at acme's value.
    let acme = line_of(&tenants, "acme-api");
    assert!(
        stderr.contains("var `error_rate_max` of tenant `acme` is not of type `number`")
            && stderr.contains(r#"a number is required, found a string "lots""#)
            && stderr.contains(&format!("tenants.hcl:{acme}:")),
        "{stderr}"
    );
    // Missing (no default), at globex's vars; and the unknown one, with "did you mean".
    let globex = line_of(&tenants, "globex-api");
    assert!(
        stderr.contains("monc::missing-var")
            && stderr.contains("tenant `globex` does not set var `service`, which has no default")
            && stderr.contains(&format!("tenants.hcl:{globex}:")),
        "{stderr}"
    );
    assert!(
        stderr.contains("monc::unknown-var")
            && stderr.contains("sets var `servce`")
            && stderr.contains("did you mean `service`?"),
        "{stderr}"
    );
    // The user's own message for a failed validation, at initech's value.
    let initech = line_of(&tenants, "initech-api");
    assert!(
        stderr.contains("monc::var-validation")
            && stderr.contains("tenant `initech`: error_rate_max is a fraction, between 0 and 1.")
            && stderr.contains(&format!("tenants.hcl:{initech}:")),
        "{stderr}"
    );
}

#[test]
fn a_missing_attribute_of_an_object_var_is_named() {
    let tenants = tenant("acme", r#"{ service = "acme-api", apm = { b = "x" } }"#);
    let (code, stderr) = validate("object", &tenants);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("var `apm` of tenant `acme` is not of type `object({ a = string, b = optional(string), c = optional(number, 127) })`: attribute `a` is required"),
        "{stderr}"
    );
}

#[test]
fn without_a_declaration_vars_stay_untyped_as_before() {
    let tenants = format!(
        "cluster \"tokyo\" {{}}\n{}",
        tenant(
            "acme",
            r#"{ service = "acme-api", error_rate_max = 0.5, apm = { a = "on", c = 1 }, extra = 1 }"#
        )
    );
    let dir = project("untyped", "", &tenants);
    let output = monc_in(&dir).arg("validate").output().expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("monc::unknown-var"), "{stderr}");
}

/// Terraform's `nullable = false`: a null value takes the default; without one, it is missing.
#[test]
fn a_null_for_a_var_that_is_not_nullable_takes_its_default() {
    let schema = r#"
tenant_vars {
  variable "service" {
    type     = string
    nullable = false
  }
  variable "error_rate_max" {
    type     = number
    default  = 0.05
    nullable = false
  }
  variable "apm" {
    type    = any
    default = { a = "off", c = 127 }
  }
}
"#;
    let tenants = format!(
        "cluster \"tokyo\" {{}}\n{}{}",
        tenant("acme", r#"{ service = "acme-api", error_rate_max = null }"#),
        tenant("globex", r#"{ service = null }"#),
    );
    let dir = project("nullable", schema, &tenants);
    let checked = monc::check(&LoadOptions::in_dir(&dir)).expect("loads");
    let messages: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert_eq!(
        messages,
        ["monc::missing-var: tenant `globex` does not set var `service`, which has no default"],
    );
    let acme = checked
        .graph
        .monitors
        .iter()
        .find(|m| m.key == "l3/errors/acme")
        .expect("acme's monitor");
    assert_eq!(
        acme.body.query,
        "avg(last_5m):avg:errors{service:acme-api} > 0.05"
    );
}
