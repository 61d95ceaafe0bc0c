// monogenic-defect: a pathogenic (or likely pathogenic) variant in a configured monogenic-IBD
// gene (rules.monogenic_defect.genes). In a critical gene (IL10, IL10RA, IL10RB by default)
// conventional therapy is expected to fail: evaluate for HSCT; another gene -> a warning
// naming it. One card per gene. clinical-rules.md §3; Uhlig et al. 2014.
#include <algorithm>
#include <cctype>

#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool listed(const std::vector<std::string>& genes, const std::string& gene) {
  return std::any_of(genes.begin(), genes.end(),
                     [&](const std::string& g) { return upper(g) == upper(gene); });
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
      if (g.pathogenic && upper(g.gene) == upper(gene)) hits.push_back(&g);
    if (!hits.empty()) by_gene.emplace_back(upper(gene), std::move(hits));
  }
  std::stable_partition(by_gene.begin(), by_gene.end(),
                        [&](const auto& e) { return listed(cfg.critical_genes, e.first); });
  if (by_gene.empty()) {
    std::size_t tested = 0;
    for (const GeneResult& g : in.model.genes) tested += listed(cfg.genes, g.gene) ? 1 : 0;
    return done(tested == 0
                    ? "no result for a configured monogenic-IBD gene"
                    : std::to_string(tested) + " monogenic-IBD gene result(s), none pathogenic");
  }

  std::string critical_list;
  for (const std::string& g : cfg.critical_genes)
    critical_list += (critical_list.empty() ? "" : ", ") + g;
  std::string why;
  for (const auto& [gene, hits] : by_gene) {
    const bool critical = listed(cfg.critical_genes, gene);
    Advice a = make_advice(cfg.meta, in.rules, critical ? Severity::kCritical : Severity::kWarning);
    std::string variants;
    for (const GeneResult* g : hits)
      if (!g->variant.empty()) variants += (variants.empty() ? "" : "; ") + g->variant;
    a.reasoning.push_back("**Pathogenic variant in " + gene + ":** " +
                          (variants.empty() ? std::string("variant not named in the result")
                                            : escape_markdown(variants)) +
                          " (" + escape_markdown(hits.front()->label) + ").");
    if (critical) {
      a.summary = "Pathogenic " + gene +
                  " variant: conventional IBD therapy expected to fail; evaluate for HSCT";
      a.reasoning.push_back(
          "**What it means:** defects in " + critical_list +
          " (the IL-10 pathway by default) cause very-early-onset IBD that does not respond to "
          "conventional or biologic "
          "therapy; allogeneic haematopoietic stem-cell transplantation (HSCT) is the curative "
          "option. Refer to a paediatric immunology / transplant centre.");
    } else {
      a.summary = "Pathogenic " + gene +
                  " variant: monogenic IBD likely; tailor therapy to the defect with a specialist";
      a.reasoning.push_back(
          "**What it means:** a pathogenic variant in " + gene +
          ", a monogenic-IBD gene, points to a monogenic cause: treatment then depends on the "
          "defect (some respond poorly to conventional therapy, some need HSCT or targeted "
          "therapy). Review with clinical immunology and genetics.");
    }
    a.reasoning.push_back(
        "**Check:** that the zygosity fits the gene's mode of inheritance (recessive defects "
        "need two variants, or one homozygous) and that the variant fits the clinical "
        "picture.");
    for (const GeneResult* g : hits) a.evidence.push_back(evidence_row(*g));
    a.ignored = ignored_lines(in.model);
    out.advice.push_back(std::move(a));
    why += (why.empty() ? "" : "; ") + gene + (critical ? " (critical)" : " (warning)");
  }
  trace.fired = true;
  done("pathogenic variant: " + why);
}

}  // namespace ibd::mapping::rules
