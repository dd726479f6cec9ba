//! What an expression refers to, read from its syntax tree with spans: the functions it calls
//! (to point a wrong call's diagnostic at the call) and the locals it uses (`local.env`).

use hcl::edit::Span as _;
use hcl::edit::expr::{Expression, FuncCall, Traversal, TraversalOperator};
use hcl::edit::visit::{Visit, visit_func_call, visit_traversal};

use crate::diagnostic::{FileId, Span, Spanned};
use crate::model::Call;

/// The calls and `local.<name>` uses in one expression.
#[derive(Debug, Default)]
pub struct Scan {
    pub calls: Vec<Call>,
    pub locals: Vec<Spanned<String>>,
}

pub fn scan(file: FileId, expr: &Expression) -> Scan {
    let mut visitor = Visitor {
        file,
        scan: Scan::default(),
    };
    visitor.visit_expr(expr);
    visitor.scan
}

struct Visitor {
    file: FileId,
    scan: Scan,
}

impl Visit for Visitor {
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
