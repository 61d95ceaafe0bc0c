#include "mapping/rule_doc.hpp"

#include <functional>

#include "mapping/evaluate.hpp"
#include "mapping/units.hpp"

namespace ibd::mapping {
namespace {

std::string n(double v) { return format_number(v); }
std::string n(int v) { return std::to_string(v); }

std::string list(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s.empty() ? "—" : s;
}

// Text here is the project's own (rule descriptions, configuration), not patient data: only
// table pipes need escaping.
std::string cell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out.empty() ? "—" : out;
}

std::string orders(const std::vector<OrderDef>& os) {
  std::string s;
  for (const OrderDef& o : os)
    s += "  - " + o.text + " (`" + o.code.system + "|" + o.code.code + "`)\n";
  return s;
}

struct RuleDoc {
  const RuleMeta* meta;
  std::string fires;  // when it fires, with the configured numbers
  std::string card;   // what the card says and suggests
  std::string extra;  // configured parameters worth listing
};

std::vector<RuleDoc> rule_docs(const RuleSet& r) {
  const std::string active = "objective active inflammation (see above)";
  return {
      {&r.cmv_positive.meta,
       "CMV is found in colonic tissue (immunohistochemistry or tissue PCR positive, or CMV "
       "colitis diagnosed) "
       "within " +
           n(r.cmv_positive.window_days) + " days.",
       "Critical: treat CMV (ganciclovir, then valganciclovir); on an order hook with an "
       "escalation proposed, "
       "do not add immunosuppression now.",
       ""},
      {&r.cmv_exclusion.meta,
       "There is " + active + " or a proposed escalation (" +
           list(r.cmv_exclusion.escalation_classes) +
           (r.cmv_exclusion.iv_steroid_is_escalation ? ", intravenous corticosteroids" : "") +
           "), the patient is on an immunosuppressant (" + list(r.immunosuppressive_classes) +
           "), and no CMV tissue test is on record in the last " +
           n(r.cmv_exclusion.tissue_window_days) + " days.",
       "Warning (critical in a steroid-refractory flare): biopsy the ulcer base for CMV before "
       "escalating. "
       "CMV DNA in blood supports but does not diagnose CMV colitis.",
       "Suggested orders:\n" + orders(r.cmv_exclusion.orders)},
      {&r.ipaa_in_crohns.meta,
       "An ileal pouch-anal anastomosis is proposed and the diagnosis is Crohn's disease.",
       "Critical: high risk of pouch failure and Crohn's disease in the pouch.", ""},
      {&r.thiopurine_pgx.meta, "A thiopurine is proposed (order hooks) or taken (all hooks).",
       "No TPMT or NUDT15 result: warning with a genotyping order. Results: the CPIC advice below "
       "(a lab-reported "
       "phenotype is preferred over one derived from star alleles; no-function alleles TPMT " +
           list(r.thiopurine_pgx.tpmt_no_function) + ", NUDT15 " +
           list(r.thiopurine_pgx.nudt15_no_function) +
           "). Where CPIC says to avoid thiopurines the card is critical and offers to delete the "
           "draft order. "
           "TPMT enzyme activity within " +
           n(r.thiopurine_pgx.transfusion_window_days) +
           " days of a red-cell transfusion is not used.",
       "Suggested orders:\n" + orders(r.thiopurine_pgx.genotype_orders)},
      {&r.pre_advanced_screening.meta,
       "An advanced therapy (" + list(r.advanced_classes) + ") is proposed.",
       "No IGRA, or no HBsAg and anti-HBc, in the last " + n(r.pre_advanced_screening.window_days) +
           " days: warning with orders for what is missing. Positive IGRA: critical (treat latent "
           "TB first). "
           "HBsAg positive: critical (antiviral prophylaxis, hepatology).",
       "Suggested orders:\n" + orders(r.pre_advanced_screening.orders)},
      {&r.monogenic_defect.meta,
       "A pathogenic or likely pathogenic variant is reported in " +
           list(r.monogenic_defect.genes) + ".",
       "Critical for " + list(r.monogenic_defect.critical_genes) +
           " (conventional therapy expected to fail; evaluate for haematopoietic stem-cell "
           "transplant); "
           "otherwise a warning naming the gene.",
       ""},
      {&r.veo_ibd.meta,
       "IBD began before age " + n(r.veo_ibd.onset_years) + " (infantile before " +
           n(r.veo_ibd.infantile_years) + ") and no monogenic work-up is on record.",
       "Warning: immunology screen and gene panel or exome; refer to a specialist centre.",
       "Suggested orders:\n" + orders(r.veo_ibd.orders)},
      {&r.escalation_unproven.meta,
       "An escalation is proposed but refractoriness is not established: no " + active +
           ", or a biologic monitored by levels without a trough level in " +
           n(r.tdm_reactive.level_window_days) + " days.",
       "Warning listing the missing steps (objective inflammation, drug level, CMV, screening), "
       "with orders for "
       "the missing tests.",
       ""},
      {&r.tdm_reactive.meta,
       "On " + list(r.tdm_reactive.drug_classes) + " for at least " +
           n(r.tdm_reactive.induction_weeks) + " weeks (records of one drug within " +
           n(r.tdm_reactive.course_gap_days) + " days of each other are one course), with " +
           active + ", and no trough level in " + n(r.tdm_reactive.level_window_days) +
           " days (or a low level with no antibody result).",
       "Warning: measure the trough level and anti-drug antibodies before changing therapy; orders "
       "for what is "
       "missing.",
       ""},
      {&r.tdm_interpret.meta,
       "A trough level is on record in the last " + n(r.tdm_interpret.window_days) +
           " days while on the drug.",
       "Low level without antibodies: optimise the dose. Low level with antibodies: switch within "
       "class and add "
       "an immunomodulator. Adequate level with active disease (CMV not yet excluded): mechanistic "
       "failure, "
       "switch out of class.",
       ""},
      {&r.refractory_escalation.meta,
       "There is " + active + ", CMV was excluded on a tissue test in " +
           n(r.cmv_exclusion.tissue_window_days) +
           " days, and either the level of the current drug is adequate or at least " +
           n(r.refractory_escalation.failed_mechanisms) + " advanced mechanisms have failed.",
       "Warning (difficult-to-treat) or info (one mechanism failed with an adequate level): switch "
       "mechanism or "
       "dual targeted therapy (off-label; cumulative infection risk).",
       ""},
      {&r.hla_dqa1_05.meta,
       "An anti-TNF is proposed and the patient carries an allele starting with " +
           r.hla_dqa1_05.allele_prefix + ".",
       "Info: higher risk of anti-drug antibodies (PANTS, HR " + n(r.hla_dqa1_05.hazard_ratio) +
           "); consider an immunomodulator and "
           "proactive drug "
           "monitoring.",
       ""},
      {&r.data_incomplete.meta, "A data source the rules needed could not be read.",
       "Info naming what is missing, so that no card is never read as an all-clear.", ""},
  };
}

}  // namespace

std::string rules_markdown(const RuleSet& r, const Terminology& terminology) {
  std::string md;
  md += "# Refractory-IBD rules — rule set " + r.version + "\n\n";
  md +=
      "Generated by `ibd-cds rules-doc` from `config/rules.yaml`, `config/valuesets/` and the "
      "rules' own "
      "descriptions. Do not edit by hand: change the configuration and run `make docs`.\n\n";
  md += "## Objective active inflammation\n\n";
  md += "Any one of, each the newest result in its window:\n\n";
  md += "| Marker | Active when | Window |\n|---|---|---|\n";
  const auto& inf = r.inflammation;
  md += "| Fecal calprotectin | ≥ " + n(inf.calprotectin_active) + " µg/g (" +
        n(inf.calprotectin_normal) + "–" + n(inf.calprotectin_active) + " indeterminate) | " +
        n(inf.marker_window_days) + " days |\n";
  md += "| CRP (else hs-CRP) | > " + n(inf.crp_active) + " mg/L | " + n(inf.crp_window_days) +
        " days |\n";
  md += "| Mayo endoscopic subscore | ≥ " + n(inf.mayo_endoscopic_active) + " | " +
        n(inf.marker_window_days) + " days |\n";
  md += "| SES-CD | ≥ " + n(inf.ses_cd_active) + " | " + n(inf.marker_window_days) + " days |\n\n";
  md += "A result reported with `<` or `>` counts only when the bound decides it.\n\n";
  md += "## Rules\n\n";
  for (const RuleDoc& d : rule_docs(r)) {
    const RuleMeta& m = *d.meta;
    md += "### `" + m.id + "` " + m.version + (m.enabled ? "" : " (disabled)") + "\n\n";
    md += "- **Hooks:** " + list(m.hooks) + "\n";
    md += "- **Fires when:** " + d.fires + "\n";
    md += "- **Card:** " + d.card + "\n";
    md += "- **Source:** " + m.source.label +
          (m.source.url.empty() ? "" : " <" + m.source.url + ">") + "\n";
    if (!m.override_reasons.empty()) {
      std::string reasons;
      for (const auto& o : m.override_reasons) reasons += (reasons.empty() ? "" : "; ") + o.display;
      md += "- **Override reasons:** " + reasons + "\n";
    }
    if (!d.extra.empty()) md += "- " + d.extra;
    md += "\n";
  }
  md +=
      "## CPIC thiopurine table (non-malignant indications)\n\n| TPMT | NUDT15 | Card | Advice "
      "|\n|---|---|---|---|\n";
  for (const CpicRow& c : r.thiopurine_pgx.cpic)
    md += "| " + c.tpmt + " | " + c.nudt15 + " | " + c.severity +
          (c.avoid ? ", remove draft order" : "") + " | " + cell(c.advice) + " |\n";
  md += "\n## Drugs\n\n| Drug | Class | Trough target | Value set |\n|---|---|---|---|\n";
  for (const DrugDef& d : r.drugs)
    md += "| " + d.name + " | " + d.drug_class + " | " +
          (d.level_target ? n(*d.level_target) + " µg/mL" : std::string("—")) + " | `" +
          d.valueset + "` |\n";
  md +=
      "\n## Laboratory tests\n\n| Test | Unit | Value set | Codes | Order code "
      "|\n|---|---|---|---|---|\n";
  for (const LabDef& l : r.labs) {
    const ValueSetDef* vs = terminology.find(l.valueset);
    std::string codes;
    for (const auto& c : vs ? vs->codes : std::vector<fhir::Coding>{})
      codes += (codes.empty() ? "" : ", ") + c.code;
    md += "| " + cell(l.display) + " | " + cell(display_unit(l.unit)) + " | `" + l.valueset +
          "` | " + (codes.empty() ? "by name only" : codes) + " | " +
          (l.order_code ? "`" + l.order_code->code + "`" : "—") + " |\n";
  }
  md += "\n## Procedures\n\n| Procedure | Value set |\n|---|---|\n";
  for (const ProcedureDef& p : r.procedures)
    md += "| " + cell(p.display) + " | `" + p.valueset + "` |\n";
  md += "\n## Diagnoses\n\n| Diagnosis | Value set |\n|---|---|\n";
  for (const DiseaseDef& d : r.diseases)
    md += "| " + cell(d.display) + " | `" + d.valueset + "` |\n";
  for (const DiseaseDef& d : r.other_conditions)
    md += "| " + cell(d.display) + " | `" + d.valueset + "` |\n";
  md +=
      "\nEvery value set also recognises its concepts by name (display and designations) in local "
      "codes and "
      "free text; " +
      std::to_string(terminology.size()) + " value sets are loaded.\n";
  return md;
}

}  // namespace ibd::mapping
