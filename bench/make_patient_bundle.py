#!/usr/bin/env python3
"""Writes one realistic multi-year IBD patient as a FHIR R4 Bundle, for bench/model_bench.

Deterministic: the same arguments always give the same bytes (fixed seed, fixed dates, no
clock). Python 3 standard library only.

The patient: Crohn's disease diagnosed in 2016, ten years of care up to the Bundle's
`timestamp` (2026-06-01T09:00:00Z, which model_bench uses as "now"):
  - prednisolone and budesonide courses, azathioprine (2016-2018, stopped for leukopenia),
  - infliximab (2018-2021, secondary loss of response with antibodies), adalimumab
    (2021-2023), then infliximab again (Inflectra, 2023-now, still active),
  - a MedicationRequest for every infusion, pen prescription and repeat prescription, plus
    unrelated drugs (omeprazole, ferrous sulfate, colecalciferol, mesalazine),
  - monthly-ish blood tests (full blood count, chemistry, ferritin, CRP), calprotectin every
    three months, trough levels and anti-drug antibodies, 6-TGN/6-MMP, TB and hepatitis B
    screening before each biologic, vital signs at every visit,
  - colonoscopies with biopsies (and CMV IHC, SES-CD), an MRI enterography,
  - TPMT/NUDT15 genotypes (STU2 and STU3 shapes) and a TPMT activity.
Most of the Observations are of kinds the model does not use (haemoglobin, vital signs, ...),
as in a real record. The latest results (calprotectin and CRP high, last trough level more
than 90 days old) make the TDM rule fire.

Usage: make_patient_bundle.py [--out FILE] [--years N] [--type collection|searchset] [--seed S]
                             [--pretty]
The default (--years 10, compact JSON as EHRs send it) gives a bundle of about 2 MB.
"""

import argparse
import datetime as dt
import json
import random
import sys
import uuid

NOW = dt.datetime(2026, 6, 1, 9, 0, 0, tzinfo=dt.timezone.utc)
PATIENT_ID = "bench-ibd-0001"
SUBJECT = {"reference": "Patient/" + PATIENT_ID}

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERP = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
LOCAL_LAB = "urn:oid:2.16.840.1.113883.3.9921.lab"
GENOMICS_TBD = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"


class Gen:
    def __init__(self, seed, years, bundle_type):
        self.rng = random.Random(seed)
        self.years = years
        self.bundle_type = bundle_type
        self.entries = []
        self.counter = {}
        self.start = NOW - dt.timedelta(days=round(365.25 * years))

    # --- helpers -------------------------------------------------------------------------

    def next_id(self, prefix):
        self.counter[prefix] = self.counter.get(prefix, 0) + 1
        return "%s-%05d" % (prefix, self.counter[prefix])

    def uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def add(self, resource):
        entry = {"fullUrl": "https://ehr.example.org/fhir/%s/%s" % (resource["resourceType"], resource["id"]),
                 "resource": resource}
        if self.bundle_type == "searchset":
            entry["search"] = {"mode": "match"}
        self.entries.append(entry)

    def meta(self, when):
        return {"versionId": str(self.rng.randint(1, 3)), "lastUpdated": instant(when + dt.timedelta(hours=6)),
                "source": "#lab-interface-" + str(self.rng.randint(1, 4))}

    def observation(self, when, category, system, code, display, text=None, **value):
        obs = {
            "resourceType": "Observation",
            "id": self.next_id("obs"),
            "meta": self.meta(when),
            "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.9921.accession", "value": self.uuid()[:13]}],
            "status": "final",
            "category": [{"coding": [{"system": OBS_CAT, "code": category,
                                      "display": category.replace("-", " ").title()}]}],
            "code": {"coding": [{"system": system, "code": code, "display": display}]},
            "subject": SUBJECT,
            "encounter": {"reference": "Encounter/enc-%s" % when.strftime("%Y%m%d")},
            "effectiveDateTime": instant(when),
            "issued": instant(when + dt.timedelta(hours=self.rng.randint(2, 30))),
            "performer": [{"reference": "Organization/org-lab-1", "display": "St Elsewhere Clinical Laboratory"}],
        }
        if text:
            obs["code"]["text"] = text
        obs.update(value)
        return obs

    def quantity_obs(self, when, code, display, value, unit, low=None, high=None, text=None, category="laboratory",
                     system=LOINC, decimals=1):
        q = {"value": round(value, decimals) if decimals else int(round(value)), "unit": unit, "system": UCUM,
             "code": unit}
        extra = {"valueQuantity": q}
        if low is not None or high is not None:
            rr = {}
            if low is not None:
                rr["low"] = {"value": low, "unit": unit, "system": UCUM, "code": unit}
            if high is not None:
                rr["high"] = {"value": high, "unit": unit, "system": UCUM, "code": unit}
            extra["referenceRange"] = [rr]
            flag = "H" if high is not None and value > high else "L" if low is not None and value < low else "N"
            extra["interpretation"] = [{"coding": [{"system": INTERP, "code": flag}]}]
        self.add(self.observation(when, category, system, code, display, text, **extra))

    def qualitative_obs(self, when, code, display, positive, text=None, system=LOINC):
        answer = ({"system": SNOMED, "code": "10828004", "display": "Positive"} if positive else
                  {"system": SNOMED, "code": "260385009", "display": "Negative"})
        self.add(self.observation(
            when, "laboratory", system, code, display, text,
            valueCodeableConcept={"coding": [answer], "text": answer["display"]},
            interpretation=[{"coding": [{"system": INTERP, "code": "POS" if positive else "NEG"}]}]))

    # --- the record ----------------------------------------------------------------------

    def patient(self):
        self.add({
            "resourceType": "Patient",
            "id": PATIENT_ID,
            "meta": {"versionId": "7", "lastUpdated": "2026-05-30T11:02:00Z"},
            "identifier": [
                {"use": "usual", "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                                      "code": "MR"}]},
                 "system": "urn:oid:2.16.840.1.113883.3.9921.mrn", "value": "MRN-4417208"},
            ],
            "active": True,
            "name": [{"use": "official", "family": "Lindqvist", "given": ["Maren", "Sofia"]}],
            "telecom": [{"system": "phone", "value": "+1-555-0142", "use": "mobile"}],
            "gender": "female",
            "birthDate": "1993-08-17",
            "address": [{"line": ["41 Harbour Lane"], "city": "Springfield", "postalCode": "01105",
                         "country": "US"}],
            "generalPractitioner": [{"reference": "Practitioner/prac-gp-12"}],
        })

    def condition(self, code, display, onset, system=SNOMED, text=None, category="problem-list-item"):
        c = {
            "resourceType": "Condition",
            "id": self.next_id("cond"),
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                               "code": "confirmed"}]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                      "code": category}]}],
            "code": {"coding": [{"system": system, "code": code, "display": display}], "text": text or display},
            "subject": SUBJECT,
            "onsetDateTime": onset,
            "recordedDate": onset,
        }
        self.add(c)

    def conditions(self):
        onset = self.start.date().isoformat()
        self.condition("34000006", "Crohn's disease", onset, text="Crohn's disease, ileocolonic (L3), inflammatory")
        self.condition("K50.80", "Crohn's disease of both small and large intestine without complications", onset,
                       system="http://hl7.org/fhir/sid/icd-10-cm", category="encounter-diagnosis")
        self.condition("87522002", "Iron deficiency anemia", (self.start + dt.timedelta(days=40)).date().isoformat())
        self.condition("30037006", "Anal fistula", (self.start + dt.timedelta(days=700)).date().isoformat())
        self.condition("34713006", "Vitamin D deficiency",
                       (self.start + dt.timedelta(days=900)).date().isoformat())

    def medication_statement(self, rxnorm, display, text, start, end, status, route=None, dosage=None):
        ms = {
            "resourceType": "MedicationStatement",
            "id": self.next_id("ms"),
            "status": status,
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": rxnorm, "display": display}],
                                          "text": text},
            "subject": SUBJECT,
            "effectivePeriod": {"start": start.date().isoformat()},
            "dateAsserted": instant(start),
            "informationSource": {"reference": "Practitioner/prac-gi-7"},
        }
        if end is not None:
            ms["effectivePeriod"]["end"] = end.date().isoformat()
        if dosage or route:
            d = {"text": dosage or ""}
            if route:
                d["route"] = {"coding": [{"system": SNOMED, "code": route[0], "display": route[1]}]}
            ms["dosage"] = [d]
        self.add(ms)

    def medication_request(self, rxnorm, display, text, when, status, route=None, dosage=None, days=None):
        mr = {
            "resourceType": "MedicationRequest",
            "id": self.next_id("mr"),
            "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.9921.rx", "value": self.uuid()[:18]}],
            "status": status,
            "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": rxnorm, "display": display}],
                                          "text": text},
            "subject": SUBJECT,
            "encounter": {"reference": "Encounter/enc-%s" % when.strftime("%Y%m%d")},
            "authoredOn": instant(when),
            "requester": {"reference": "Practitioner/prac-gi-7", "display": "Dr A. Moreau"},
            "dosageInstruction": [{"text": dosage or "as directed"}],
        }
        if route:
            mr["dosageInstruction"][0]["route"] = {"coding": [{"system": SNOMED, "code": route[0],
                                                               "display": route[1]}]}
        if days:
            mr["dispenseRequest"] = {"validityPeriod": {"start": when.date().isoformat(),
                                                        "end": (when + dt.timedelta(days=days)).date().isoformat()},
                                     "expectedSupplyDuration": {"value": days, "unit": "days", "system": UCUM,
                                                                "code": "d"}}
        self.add(mr)

    def procedure(self, code, display, when, text=None, part_of=None, body_site=None, outcome=None):
        p = {
            "resourceType": "Procedure",
            "id": self.next_id("proc"),
            "status": "completed",
            "code": {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": text or display},
            "subject": SUBJECT,
            "performedDateTime": instant(when),
            "performer": [{"actor": {"reference": "Practitioner/prac-gi-7", "display": "Dr A. Moreau"}}],
            "location": {"reference": "Location/endoscopy-suite-2"},
        }
        if part_of:
            p["partOf"] = [{"reference": "Procedure/" + part_of}]
        if body_site:
            p["bodySite"] = [{"coding": [{"system": SNOMED, "code": body_site[0], "display": body_site[1]}]}]
        if outcome:
            p["outcome"] = {"text": outcome}
            p["note"] = [{"text": outcome + " Biopsies taken from terminal ileum, right colon, left colon and "
                                  "rectum for histology and CMV immunohistochemistry."}]
        self.add(p)
        return p["id"]

    def therapy(self):
        """Medication history; returns the periods on each biologic (for the trough levels)."""
        s = self.start
        pred_route = ("26643006", "Oral route")
        iv = ("47625008", "Intravenous route")
        sc = ("34206005", "Subcutaneous route")
        # Steroid courses: induction, flares.
        for offset in (10, 600, 1600, 2550):
            start = s + dt.timedelta(days=offset)
            if start >= NOW:
                continue
            self.medication_statement("8638", "prednisolone", "prednisolone 5 MG Oral Tablet", start,
                                      start + dt.timedelta(weeks=10), "completed", pred_route,
                                      "40 mg daily, taper by 5 mg weekly")
            for w in range(0, 10, 4):
                self.medication_request("8638", "prednisolone", "prednisolone 5 MG Oral Tablet",
                                        start + dt.timedelta(weeks=w), "completed", pred_route,
                                        "40 mg daily, taper by 5 mg weekly", days=28)
        bud = s + dt.timedelta(days=1200)
        if bud < NOW:
            self.medication_statement("19831", "budesonide", "Entocort 3 MG Oral Capsule", bud,
                                      bud + dt.timedelta(weeks=8), "completed", pred_route, "9 mg once daily")
        # Azathioprine, stopped for leukopenia.
        aza0, aza1 = s + dt.timedelta(days=60), s + dt.timedelta(days=800)
        self.medication_statement("1256", "azathioprine", "azathioprine 50 MG Oral Tablet", aza0, aza1, "stopped",
                                  pred_route, "150 mg once daily")
        d = aza0
        while d < aza1 and d < NOW:
            self.medication_request("1256", "azathioprine", "azathioprine 50 MG Oral Tablet", d, "completed",
                                    pred_route, "150 mg once daily", days=28)
            d += dt.timedelta(days=28)
        # Biologics.
        courses = []
        ifx1 = (s + dt.timedelta(days=760), s + dt.timedelta(days=1900))
        ada = (ifx1[1] + dt.timedelta(days=14), ifx1[1] + dt.timedelta(days=14 + 800))
        ifx2 = (ada[1] + dt.timedelta(days=21), None)
        for (start, end), drug in ((ifx1, "infliximab"), (ada, "adalimumab"), (ifx2, "infliximab")):
            if start >= NOW:
                continue
            if end is not None and end >= NOW:
                end = None
            courses.append((drug, start, end or NOW))
            if drug == "infliximab":
                text = "Remicade 100 MG Injection" if end else "Inflectra 100 MG Injection (infliximab-dyyb)"
                self.medication_statement("191831", "infliximab", text, start, end,
                                          "stopped" if end else "active", iv, "5 mg/kg IV weeks 0, 2, 6 then 8-weekly")
                d, n = start, 0
                while d < (end or NOW):
                    self.medication_request("191831", "infliximab", text, d, "completed", iv,
                                            "5 mg/kg intravenous infusion", days=1)
                    d += dt.timedelta(weeks=(2 if n == 0 else 4 if n == 1 else 8))
                    n += 1
            else:
                self.medication_statement("327361", "adalimumab", "Humira 40 MG/0.4 ML Pen Injector", start, end,
                                          "stopped" if end else "active", sc, "40 mg every other week")
                d = start
                while d < (end or NOW):
                    self.medication_request("327361", "adalimumab", "Humira 40 MG/0.4 ML Pen Injector", d,
                                            "completed", sc, "40 mg subcutaneously every 14 days", days=28)
                    d += dt.timedelta(days=28)
        # Unrelated drugs, repeat prescriptions every two months.
        others = (("7646", "omeprazole", "omeprazole 20 MG Delayed Release Oral Capsule"),
                  ("24947", "ferrous sulfate", "ferrous sulfate 325 MG Oral Tablet"),
                  ("2418", "cholecalciferol", "colecalciferol 1000 UNT Oral Tablet"))
        for rx, name, text in others:
            self.medication_statement(rx, name, text, s + dt.timedelta(days=45), None, "active", pred_route,
                                      "once daily")
            d = s + dt.timedelta(days=45)
            while d < NOW:
                self.medication_request(rx, name, text, d, "completed", pred_route, "once daily", days=60)
                d += dt.timedelta(days=60)
        self.medication_statement("52582", "mesalamine", "mesalazine 1.2 G Delayed Release Oral Tablet", s,
                                  s + dt.timedelta(days=400), "stopped", pred_route, "2.4 g daily")
        return courses

    def labs(self, courses):
        rng = self.rng
        d = self.start + dt.timedelta(days=3)
        visit = 0
        while d < NOW - dt.timedelta(days=2):
            when = d.replace(hour=8, minute=rng.randint(0, 59))
            recent = (NOW - when).days < 120
            flare = recent or rng.random() < 0.25
            # Full blood count and chemistry (not used by the model).
            self.quantity_obs(when, "718-7", "Hemoglobin [Mass/volume] in Blood", rng.uniform(9.8, 14.2), "g/dL",
                              12.0, 15.5)
            self.quantity_obs(when, "6690-2", "Leukocytes [#/volume] in Blood by Automated count",
                              rng.uniform(3.1, 11.5), "10*3/uL", 4.0, 11.0)
            self.quantity_obs(when, "777-3", "Platelets [#/volume] in Blood by Automated count",
                              rng.uniform(210, 520), "10*3/uL", 150, 400, decimals=0)
            self.quantity_obs(when, "1751-7", "Albumin [Mass/volume] in Serum or Plasma", rng.uniform(2.9, 4.6),
                              "g/dL", 3.5, 5.0)
            self.quantity_obs(when, "1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or "
                              "Plasma", rng.uniform(9, 48), "U/L", 7, 35, decimals=0)
            self.quantity_obs(when, "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", rng.uniform(0.55, 0.95),
                              "mg/dL", 0.5, 1.1, decimals=2)
            if visit % 3 == 0:
                self.quantity_obs(when, "2276-4", "Ferritin [Mass/volume] in Serum or Plasma", rng.uniform(8, 140),
                                  "ng/mL", 15, 150, decimals=0)
            # CRP: mostly mg/L, sometimes reported in mg/dL by the other laboratory.
            crp = rng.uniform(12, 48) if flare else rng.uniform(0.5, 6)
            if visit % 5 == 4:
                self.quantity_obs(when, "1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", crp / 10,
                                  "mg/dL", None, 0.5, decimals=2)
            else:
                self.quantity_obs(when, "1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", crp,
                                  "mg/L", None, 5)
            # Calprotectin every third visit.
            if visit % 3 == 1 or recent:
                fc = rng.uniform(320, 1400) if flare else rng.uniform(20, 140)
                self.quantity_obs(when, "38445-3", "Calprotectin [Mass/mass] in Stool", fc, "ug/g", None, 50,
                                  decimals=0)
            # Trough levels and antibodies on a biologic, twice a year, never in the last 120 days.
            for drug, start, end in courses:
                if start + dt.timedelta(weeks=14) <= when <= end and visit % 6 == 2 and not recent:
                    code = "39803-2" if drug == "infliximab" else "74117-3"
                    display = ("Infliximab [Mass/volume] in Serum or Plasma" if drug == "infliximab" else
                               "Adalimumab [Mass/volume] in Serum or Plasma")
                    late = (end - when).days < 200 and end < NOW - dt.timedelta(days=30)
                    level = rng.uniform(0.4, 1.8) if late else rng.uniform(3.5, 11)
                    self.quantity_obs(when, code, display, level, "ug/mL", 3, None, text=drug + " trough level")
                    self.quantity_obs(when, "ADA-" + drug[:3].upper(), "Antibodies to " + drug,
                                      rng.uniform(12, 80) if late else rng.uniform(0, 2.5), "[AU]/mL", None, 3,
                                      text="Antibodies to " + drug, system=LOCAL_LAB)
            # Vital signs at every visit (not used by the model).
            self.vitals(when)
            d += dt.timedelta(days=rng.randint(24, 36))
            visit += 1

    def vitals(self, when):
        rng = self.rng
        when = when + dt.timedelta(minutes=20)
        bp = self.observation(when, "vital-signs", LOINC, "85354-9", "Blood pressure panel with all children "
                              "optional",
                              component=[
                                  {"code": {"coding": [{"system": LOINC, "code": "8480-6",
                                                        "display": "Systolic blood pressure"}]},
                                   "valueQuantity": {"value": rng.randint(102, 134), "unit": "mmHg", "system": UCUM,
                                                     "code": "mm[Hg]"}},
                                  {"code": {"coding": [{"system": LOINC, "code": "8462-4",
                                                        "display": "Diastolic blood pressure"}]},
                                   "valueQuantity": {"value": rng.randint(62, 86), "unit": "mmHg", "system": UCUM,
                                                     "code": "mm[Hg]"}}])
        bp["meta"]["profile"] = ["http://hl7.org/fhir/StructureDefinition/bp"]
        self.add(bp)
        self.quantity_obs(when, "8867-4", "Heart rate", rng.randint(58, 104), "/min", category="vital-signs",
                          decimals=0)
        self.quantity_obs(when, "29463-7", "Body weight", rng.uniform(52, 61), "kg", category="vital-signs")
        self.quantity_obs(when, "8310-5", "Body temperature", rng.uniform(36.4, 37.9), "Cel", category="vital-signs")

    def endoscopy(self):
        rng = self.rng
        d = self.start + dt.timedelta(days=20)
        n = 0
        while d < NOW:
            when = d.replace(hour=10, minute=30)
            active = n % 2 == 0 or (NOW - when).days < 400
            finding = ("Deep ulcers in the terminal ileum and transverse colon." if active else
                       "Mucosal healing, scarring in the terminal ileum.")
            colo = self.procedure("73761001", "Colonoscopy", when, "Ileocolonoscopy", outcome=finding,
                                  body_site=("71854001", "Colon structure"))
            self.procedure("86273004", "Biopsy of colon", when + dt.timedelta(minutes=15), "Colonic biopsies",
                           part_of=colo)
            when2 = when + dt.timedelta(days=rng.randint(3, 6))
            self.quantity_obs(when, "SES-CD", "SES-CD", rng.randint(9, 22) if active else rng.randint(0, 3),
                              "{score}", text="Simple Endoscopic Score for Crohn's Disease (SES-CD)",
                              category="procedure", system=LOCAL_LAB, decimals=0)
            self.qualitative_obs(when2, "10660-9", "Cytomegalovirus Ag [Presence] in Tissue", False,
                                 text="CMV immunohistochemistry, colon biopsy")
            d += dt.timedelta(days=rng.randint(330, 420))
            n += 1
        mre = self.start + dt.timedelta(days=1500)
        self.procedure("241586009", "MRI of small bowel", mre, "MR enterography")

    def screening(self, courses):
        for _, start, _ in courses:
            when = start - dt.timedelta(days=20)
            self.qualitative_obs(when, "71773-6", "M tuberculosis stimulated gamma interferon [Presence] in Blood",
                                 False, text="QuantiFERON-TB Gold Plus")
            self.qualitative_obs(when, "5196-1", "Hepatitis B virus surface Ag [Presence] in Serum", False)
            self.qualitative_obs(when, "16933-4", "Hepatitis B virus core Ab [Presence] in Serum", False)
            self.quantity_obs(when, "22322-2", "Hepatitis B virus surface Ab [Units/volume] in Serum",
                              self.rng.uniform(40, 300), "m[IU]/mL", 10, None, decimals=0)

    def genomics(self):
        when = self.start + dt.timedelta(days=35)
        ge = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "GE",
                          "display": "Genetics"}]}
        tpmt = self.observation(when, "laboratory", LOINC, "41048-0", "TPMT gene targeted mutation analysis in "
                                "Blood or Tissue by Molecular genetics method Nominal", "TPMT genotype",
                                valueString="*1/*3A")
        tpmt["category"].append(ge)
        self.add(tpmt)
        nudt = self.observation(when, "laboratory", LOINC, "84413-4", "Genotype display name",
                                valueCodeableConcept={"text": "NUDT15 *1/*1"},
                                component=[{"code": {"coding": [{"system": LOINC, "code": "48018-6",
                                                                 "display": "Gene studied [ID]"}]},
                                            "valueCodeableConcept": {"coding": [{
                                                "system": "http://www.genenames.org", "code": "HGNC:23063",
                                                "display": "NUDT15"}]}}])
        nudt["meta"]["profile"] = ["http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/genotype"]
        nudt["category"].append(ge)
        self.add(nudt)
        ti = self.observation(when, "laboratory", GENOMICS_TBD, "therapeutic-implication", "Therapeutic Implication",
                              derivedFrom=[{"reference": "Observation/" + tpmt["id"], "display": "TPMT *1/*3A"}],
                              component=[
                                  {"code": {"coding": [{"system": GENOMICS_TBD,
                                                        "code": "predicted-therapeutic-implication",
                                                        "display": "Predicted Therapeutic Implication"}]},
                                   "valueCodeableConcept": {"coding": [{"system": LOINC, "code": "LA10317-8",
                                                                        "display": "Intermediate metabolizer"}]}},
                                  {"code": {"coding": [{"system": LOINC, "code": "51963-7",
                                                        "display": "Medication assessed [ID]"}]},
                                   "valueCodeableConcept": {"coding": [{"system": RXNORM, "code": "1256",
                                                                        "display": "azathioprine"}]}}])
        ti["meta"]["profile"] = [
            "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/therapeutic-implication"]
        ti["category"].append(ge)
        self.add(ti)
        self.quantity_obs(when, "TPMT-ACT", "TPMT activity", 24.0, "U/mL", 26, 50,
                          text="TPMT enzyme activity, red cells", system=LOCAL_LAB)
        # Thiopurine metabolites while on azathioprine.
        for k in range(4):
            w = self.start + dt.timedelta(days=150 + 150 * k)
            self.quantity_obs(w, "32660-3", "6-Thioguanine nucleotides [Moles/volume] in Red Blood Cells",
                              self.rng.uniform(180, 420), "pmol/{8E8_RBCs}", 235, 450, decimals=0)
            self.quantity_obs(w, "32654-6", "6-Methylmercaptopurine [Moles/volume] in Red Blood Cells",
                              self.rng.uniform(800, 4500), "pmol/{8E8_RBCs}", None, 5700, decimals=0)

    def build(self):
        self.patient()
        self.conditions()
        courses = self.therapy()
        self.genomics()
        self.screening(courses)
        self.endoscopy()
        self.labs(courses)
        bundle = {
            "resourceType": "Bundle",
            "id": "bench-ibd-record",
            "meta": {"lastUpdated": instant(NOW)},
            "type": self.bundle_type,
            "timestamp": instant(NOW),
        }
        if self.bundle_type == "searchset":
            bundle["total"] = len(self.entries)
        bundle["entry"] = self.entries
        return bundle


def instant(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="-", help="output file (default: stdout)")
    ap.add_argument("--years", type=float, default=10, help="years of history (default 10, about 2 MB)")
    ap.add_argument("--type", choices=("collection", "searchset"), default="collection")
    ap.add_argument("--seed", type=int, default=20260601)
    ap.add_argument("--pretty", action="store_true", help="indented JSON (about 1.5x the bytes)")
    args = ap.parse_args()
    bundle = Gen(args.seed, args.years, args.type).build()
    if args.pretty:
        text = json.dumps(bundle, ensure_ascii=False, indent=1) + "\n"
    else:
        text = json.dumps(bundle, ensure_ascii=False, separators=(",", ":")) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    counts = {}
    for e in bundle["entry"]:
        t = e["resource"]["resourceType"]
        counts[t] = counts.get(t, 0) + 1
    print("make_patient_bundle: %d resources, %d bytes (%s)" % (
        len(bundle["entry"]), len(text.encode("utf-8")),
        ", ".join("%s %d" % kv for kv in sorted(counts.items()))), file=sys.stderr)


if __name__ == "__main__":
    main()
