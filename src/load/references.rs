//! What an expression refers to, read from its syntax tree with spans: the functions it calls
//! (to point a wrong call's diagnostic at the call), the locals it uses (`local.env`) and its
//! divisions (to point at one by zero).

use hcl::edit::Span as _;
use hcl::edit::expr::{
    BinaryOp, BinaryOperator, Conditional, Expression, FuncCall, Traversal, TraversalOperator,
};
use hcl::edit::visit::{Visit, visit_binary_op, visit_func_call, visit_traversal};
use hcl::eval::Context;

use crate::diagnostic::{Code, Diagnostic, FileId, Span, Spanned};
use crate::eval;
use crate::model::{Call, Division};

/// The calls, `local.<name>` uses and divisions in one expression.
#[derive(Debug, Default)]
pub(super) struct Scan {
    pub calls: Vec<Call>,
    pub locals: Vec<Spanned<String>>,
    pub divisions: Vec<Division>,
}

pub(super) fn scan(file: FileId, expr: &Expression) -> Scan {
    let mut visitor = Visitor {
        file,
        scan: Scan::default(),
        guards: Vec::new(),
    };
    visitor.visit_expr(expr);
    visitor.scan
}

/// The first division by zero that evaluating the expression would do, as an error at the
/// operation. hcl-rs would give infinity (printed as 1.797693134862316e308 in a string) or
/// panic; Terraform says "Division by zero". A division in a `? :` branch that is not taken
/// is not evaluated; a divisor or condition that cannot be evaluated alone (a `for` variable)
/// is left to the evaluation of the whole expression.
pub fn division_by_zero(divisions: &[Division], ctx: &Context, what: &str) -> Option<Diagnostic> {
    let is = |expr: &hcl::Expression, wanted: &hcl::Value| {
        eval::evaluate(expr, ctx).is_ok_and(|v| v == *wanted)
    };
    let zero = |expr: &hcl::Expression| {
        eval::evaluate(expr, ctx)
            .ok()
            .and_then(|v| v.as_f64())
            .is_some_and(|n| n == 0.0)
    };
    let division = divisions.iter().find(|d| {
        d.guards
            .iter()
            .all(|(cond, branch)| is(cond, &hcl::Value::Bool(*branch)))
            && zero(&d.divisor)
    })?;
    let operation = if division.modulo {
        "modulo"
    } else {
        "division"
    };
    Some(
        Diagnostic::error(
            Code::Eval,
            division.span.clone(),
            format!("cannot evaluate {what}: {operation} by zero"),
        )
        .label("the right-hand side is 0")
        .help("a number cannot be divided by zero (Terraform refuses it too); use another value, or guard it: `x == 0 ? 0 : y / x`"),
    )
}

/// The help for a name written without quotes (`cluster = prod-eu-1`, which HCL reads as the
/// variable `prod-eu-1`, or `prod - eu - 1`, a subtraction): "write `\"prod-eu-1\"`". Only
/// for a bare word whose root is none of the variables monc defines (`tenant.vars.x` in a
/// single monitor is a scope mistake, not a missing quote).
pub fn quote_hint(source: &str) -> Option<String> {
    let word: String = source.split_whitespace().collect();
    let root = word.split('.').next().unwrap_or_default();
    let bare = word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let known_root = matches!(root, "tenant" | "cluster" | "local");
    (bare && !known_root).then(|| {
        format!(
            "a text is written in quotes: write `\"{word}\"` (unquoted, it is read as a variable)"
        )
    })
}

struct Visitor {
    file: FileId,
    scan: Scan,
    /// The enclosing `? :` conditions, innermost last.
    guards: Vec<(hcl::Expression, bool)>,
}

impl Visit for Visitor {
    fn visit_conditional(&mut self, node: &Conditional) {
        self.visit_expr(&node.cond_expr);
        let cond: hcl::Expression = node.cond_expr.clone().into();
        for (branch, expr) in [(true, &node.true_expr), (false, &node.false_expr)] {
            self.guards.push((cond.clone(), branch));
            self.visit_expr(expr);
            self.guards.pop();
        }
    }

    fn visit_binary_op(&mut self, node: &BinaryOp) {
        let operator = *node.operator.value();
        if matches!(operator, BinaryOperator::Div | BinaryOperator::Mod) {
            self.scan.divisions.push(Division {
                span: Span::new(self.file, node.span().unwrap_or(0..0)),
                modulo: operator == BinaryOperator::Mod,
                divisor: node.rhs_expr.clone().into(),
                guards: self.guards.clone(),
            });
        }
        visit_binary_op(self, node);
    }

    fn visit_func_call(&mut self, node: &FuncCall) {
        let span = Span::new(self.file, node.span().unwrap_or(0..0));
        let expr = Expression::FuncCall(Box::new(node.clone()));
        self.scan.calls.push(Call {
            name: node.name.name.as_str().to_string(),
            expr: expr.into(),
            span,
        });
        visit_func_call(self, node);
    }

    fn visit_traversal(&mut self, node: &Traversal) {
        if let Expression::Variable(root) = &node.expr
            && root.as_str() == "local"
            && let Some(TraversalOperator::GetAttr(name)) =
                node.operators.first().map(|o| o.value())
        {
            let start = root.span().map_or(0, |r| r.start);
            let end = name.span().map_or(start, |r| r.end);
            self.scan.locals.push(Spanned {
                value: name.as_str().to_string(),
                span: Span::new(self.file, start..end),
            });
        }
        visit_traversal(self, node);
    }
}
