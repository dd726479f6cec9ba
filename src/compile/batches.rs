//! Compiling instances in batches on rayon's threads, each batch with its own evaluation
//! contexts, diagnostics and notes, gathered back in the order of the work.

use hcl::eval::Context;
use rayon::prelude::*;

use super::{Compiler, Instance, InstanceScope};
use crate::diagnostic::{Diagnostics, Note};

/// Fewest instances in one batch: below this, a batch's own contexts cost more than the
/// threads gain.
const MIN_BATCH: usize = 64;

/// What one batch of instances reported, in their order.
#[derive(Default)]
pub(super) struct Reports {
    pub(super) diagnostics: Diagnostics,
    pub(super) notes: Vec<Note>,
}

/// Runs `job` for each (template, instance) of `work`, in batches spread over the threads.
/// Returns what each gave, in the order of `work` (written in place: one list of results is
/// alive at a time, not one per batch and the whole), and each batch's reports in order.
pub(super) fn in_batches<T: Send + Default>(
    compiler: &Compiler,
    work: &[(usize, Instance)],
    job: impl Fn(&mut InstanceScope) -> T + Sync,
) -> (Vec<T>, Vec<Reports>) {
    let size = work
        .len()
        .div_ceil(4 * rayon::current_num_threads())
        .max(MIN_BATCH);
    let mut results: Vec<T> = Vec::with_capacity(work.len());
    results.resize_with(work.len(), T::default);
    let reports = work
        .par_chunks(size)
        .zip(results.par_chunks_mut(size))
        .map(|(chunk, out)| {
            let mut contexts = Contexts::new(compiler);
            let mut reports = Reports::default();
            for (&(index, instance), slot) in chunk.iter().zip(out) {
                let ctx = contexts.for_instance(instance);
                let mut scope =
                    InstanceScope::new(compiler, index, instance, ctx, &mut reports.diagnostics);
                scope.notes = Some(&mut reports.notes);
                *slot = job(&mut scope);
            }
            reports
        })
        .collect();
    (results, reports)
}

/// The evaluation context of every instance. Those of the project and of each cluster are
/// built once and shared ([`Compiler`]); a tenant's is its cluster's with `tenant` replaced, in
/// a copy each batch makes of the clusters it meets, so that no context is copied per tenant.
/// (Copying one per tenant copied the cluster's list of tenant names each time: quadratic in
/// tenants per cluster.)
struct Contexts<'c, 'm> {
    compiler: &'c Compiler<'m>,
    tenants_of_cluster: Vec<Option<Context<'static>>>,
    /// For a tenant on an unknown cluster (reported by the loader).
    tenants_without_cluster: Option<Context<'static>>,
    /// For the instances of a `for_each` map or set: `each` is rebound per instance.
    each: Option<Context<'static>>,
}

impl<'c, 'm> Contexts<'c, 'm> {
    fn new(compiler: &'c Compiler<'m>) -> Contexts<'c, 'm> {
        Contexts {
            compiler,
            tenants_of_cluster: compiler.clusters.iter().map(|_| None).collect(),
            tenants_without_cluster: None,
            each: None,
        }
    }

    fn for_instance(&mut self, instance: Instance) -> &Context<'static> {
        let compiler = self.compiler;
        match instance {
            Instance::Once => &compiler.once,
            Instance::Cluster(c) => &compiler.clusters[c],
            Instance::Tenant(t) => {
                let ctx = match compiler.cluster_of_tenant(t) {
                    Some(c) => self.tenants_of_cluster[c]
                        .get_or_insert_with(|| compiler.clusters[c].clone()),
                    None => self
                        .tenants_without_cluster
                        .get_or_insert_with(|| compiler.once.clone()),
                };
                ctx.declare_var("tenant", compiler.model.tenants[t].value.clone());
                ctx
            }
            Instance::Each(template, i) => {
                let each = &compiler.model.templates[template].each[i];
                let ctx = self.each.get_or_insert_with(|| compiler.once.clone());
                ctx.declare_var("each", each.object());
                ctx
            }
        }
    }
}
