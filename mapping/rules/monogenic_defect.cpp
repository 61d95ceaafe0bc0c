// monogenic-defect: a pathogenic (or likely pathogenic) variant in a configured monogenic-IBD
// gene (rules.monogenic_defect.genes). One card per gene. clinical-rules.md §3; Uhlig et al.
// 2014.
//
// The critical genes (IL10, IL10RA, IL10RB by default) cause disease when both copies are
// hit (autosomal recessive): critical (conventional therapy expected to fail: evaluate for
// HSCT) only when a result says homozygous, hemizygous or compound heterozygous, or there are
// two different pathogenic variants in the gene. A single heterozygous variant -> a warning
// (a carrier, or a second variant not found); a variant whose zygosity is not reported -> a
// warning to find out. Another gene -> a warning naming it.
#include <algorithm>

#include "mapping/genomics_text.hpp"
#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {
namespace {

using genomics::gene_listed;
using genomics::same_gene;

enum class Finding { kBothCopies, kHeterozygous, kZygosityUnknown, kOtherGene };

// A heterozygous call on every result that reports a zygosity.
bool heterozygous(const std::vector<const GeneResult*>& hits) {
  bool any = false;
  for (const GeneResult* g : hits) {
    if (g->zygosity.empty()) continue;
    if (g->zygosity != "heterozygous") return false;
    any = true;
  }
  return any;
}

}  // namespace

void monogenic_defect(const RuleInput& in, Evaluation& out) {
  const MonogenicDefectConfig& cfg = in.rules.monogenic_defect;
  RuleTrace trace = start_trace(cfg.meta, in.context);
  auto done = [&](std::string why) {
    trace.why = std::move(why);
    out.trace.push_back(trace);
  };
  if (!trace.ran) return done(trace.why);

  // Pathogenic results by gene, critical genes first, then in the configured order.
  std::vector<std::pair<std::string, std::vector<const GeneResult*>>> by_gene;
  for (const std::string& gene : cfg.genes) {
    std::vector<const GeneResult*> hits;
    for (const GeneResult& g : in.model.genes)
      if (g.pathogenic && same_gene(g.gene, gene)) hits.push_back(&g);
    if (!hits.empty()) by_gene.emplace_back(genomics::upper(gene), std::move(hits));
  }
  std::stable_partition(by_gene.begin(), by_gene.end(),
                        [&](const auto& e) { return gene_listed(cfg.critical_genes, e.first); });
  if (by_gene.empty()) {
    std::size_t tested = 0;
    for (const GeneResult& g : in.model.genes) tested += gene_listed(cfg.genes, g.gene) ? 1 : 0;
    return done(tested == 0
                    ? "no result for a configured monogenic-IBD gene"
                    : std::to_string(tested) + " monogenic-IBD gene result(s), none pathogenic");
  }

  const std::string critical_list = join_names(cfg.critical_genes);
  std::string why;
  for (const auto& [gene, hits] : by_gene) {
    const std::string both = genomics::both_copies_affected(hits);
    const Finding finding = !gene_listed(cfg.critical_genes, gene) ? Finding::kOtherGene
                            : !both.empty()                        ? Finding::kBothCopies
                            : heterozygous(hits)                   ? Finding::kHeterozygous
                                                                   : Finding::kZygosityUnknown;
    Advice a =
        make_advice(cfg.meta, in.rules,
                    finding == Finding::kBothCopies ? Severity::kCritical : Severity::kWarning);
    std::string variants;
    for (const GeneResult* g : hits)
      if (!g->variant.empty()) variants += (variants.empty() ? "" : "; ") + g->variant;
    a.reasoning.push_back("**Pathogenic variant in " + gene + ":** " +
                          (variants.empty() ? std::string("variant not named in the result")
                                            : escape_markdown(variants)) +
                          " (" + escape_markdown(hits.front()->label) + ").");
    const std::string recessive =
        "defects in " + critical_list +
        " are recessive: disease needs both copies of the gene affected (homozygous, or "
        "compound heterozygous: two different variants, one on each copy)";
    switch (finding) {
      case Finding::kBothCopies:
        a.summary = "Pathogenic " + gene +
                    " variant: conventional IBD therapy expected to fail; evaluate for HSCT";
        a.reasoning.push_back("**Both copies affected:** " + escape_markdown(both) + ".");
        a.reasoning.push_back(
            "**What it means:** " + recessive +
            ". They cause very-early-onset IBD that does not respond to conventional or biologic "
            "therapy; allogeneic haematopoietic stem-cell transplantation (HSCT) is the curative "
            "option. Refer to a paediatric immunology / transplant centre.");
        a.reasoning.push_back(
            "**Check:** that the variant fits the clinical picture; with two different variants, "
            "parental testing shows whether they are on different copies.");
        break;
      case Finding::kHeterozygous:
      case Finding::kZygosityUnknown: {
        const bool het = finding == Finding::kHeterozygous;
        a.summary = het ? "Heterozygous pathogenic " + gene +
                              " variant: carrier or second variant not found — review with "
                              "clinical genetics"
                        : "Pathogenic " + gene +
                              " variant, zygosity not reported: one copy or both? Review with "
                              "clinical genetics";
        a.reasoning.push_back(
            het ? "**One variant, heterozygous:** " + recessive +
                      ". A single heterozygous variant makes the patient a carrier, unless a "
                      "second variant was missed (a deletion, or a change the test does not "
                      "cover)."
                : "**Zygosity not reported:** " + recessive +
                      ". The result does not say whether one copy or both are affected.");
        a.reasoning.push_back(
            "**Next:** review with clinical genetics: whether the test covers deletions, "
            "testing of the parents, and a functional test of IL-10 signalling. If both copies "
            "turn out affected, conventional therapy is expected to fail and HSCT is the "
            "curative option.");
        break;
      }
      case Finding::kOtherGene:
        a.summary =
            "Pathogenic " + gene +
            " variant: monogenic IBD likely; tailor therapy to the defect with a specialist";
        a.reasoning.push_back(
            "**What it means:** a pathogenic variant in " + gene +
            ", a monogenic-IBD gene, points to a monogenic cause: treatment then depends on the "
            "defect (some respond poorly to conventional therapy, some need HSCT or targeted "
            "therapy). Review with clinical immunology and genetics.");
        a.reasoning.push_back(
            "**Check:** that the zygosity fits the gene's mode of inheritance (recessive defects "
            "need two variants, or one homozygous) and that the variant fits the clinical "
            "picture.");
        break;
    }
    for (const GeneResult* g : hits) a.evidence.push_back(evidence_row(*g));
    a.ignored = ignored_lines(in.model);
    out.advice.push_back(std::move(a));
    why += (why.empty() ? "" : "; ") + gene;
    switch (finding) {
      case Finding::kBothCopies:
        why += " (critical: " + both + ")";
        break;
      case Finding::kHeterozygous:
        why += " (warning: heterozygous, second variant not found)";
        break;
      case Finding::kZygosityUnknown:
        why += " (warning: zygosity not reported)";
        break;
      case Finding::kOtherGene:
        why += " (warning)";
        break;
    }
  }
  trace.fired = true;
  done("pathogenic variant: " + why);
}

}  // namespace ibd::mapping::rules
