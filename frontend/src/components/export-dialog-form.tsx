// The fields of a new requisition in the export dialog (POST /api/requisitions): who
// requires the footage, on which legal basis, the procedure number, when it arrived.
import { messages } from "../lib/i18n";

export const t = messages({
  fr: {
    authority: "Autorité requérante",
    name: "Nom du magistrat ou de l'OPJ",
    rank: "Grade ou qualité",
    service: "Service (commissariat, brigade, parquet…)",
    unit: "Unité",
    basis: "Base légale",
    b601: "Art. 60-1 CPP : enquête de flagrance",
    b7711: "Art. 77-1-1 CPP : enquête préliminaire",
    b993: "Art. 99-3 CPP : information judiciaire",
    bigp: "Instruction générale du parquet",
    bother: "Autre",
    basis_other: "Base légale (en toutes lettres)",
    procedure: "N° de procédure",
    received: "Reçue le (heure de Paris)",
    notes: "Notes",
  },
  en: {
    authority: "Requiring authority",
    name: "Name of the magistrate or officer",
    rank: "Rank or title",
    service: "Service (police station, brigade, prosecutor…)",
    unit: "Unit",
    basis: "Legal basis",
    b601: "Art. 60-1 CPP: flagrante delicto inquiry",
    b7711: "Art. 77-1-1 CPP: preliminary inquiry",
    b993: "Art. 99-3 CPP: judicial investigation",
    bigp: "Prosecutor's general instruction",
    bother: "Other",
    basis_other: "Legal basis (in words)",
    procedure: "Procedure number",
    received: "Received (Paris time)",
    notes: "Notes",
  },
});

const BASES = [
  ["60-1", "b601"],
  ["77-1-1", "b7711"],
  ["99-3", "b993"],
  ["igp", "bigp"],
  ["other", "bother"],
] as const;

export interface NewRequisitionFields {
  name: string;
  rank: string;
  service: string;
  unit: string;
  basis: string;
  basisOther: string;
  procedure: string;
  received: string;
  notes: string;
}

export function emptyFields(received: string): NewRequisitionFields {
  return {
    name: "",
    rank: "",
    service: "",
    unit: "",
    basis: "60-1",
    basisOther: "",
    procedure: "",
    received,
    notes: "",
  };
}

/** The body of POST /api/requisitions, but for its items and received_at. */
export function requisitionBody(f: NewRequisitionFields): Record<string, unknown> {
  const opt = (v: string) => (v.trim() ? v.trim() : null);
  return {
    authority: { name: f.name.trim(), rank: opt(f.rank), service: f.service.trim(), unit: opt(f.unit) },
    legal_basis: f.basis,
    legal_basis_other: f.basis === "other" ? opt(f.basisOther) : null,
    procedure: f.procedure.trim(),
    notes: opt(f.notes),
  };
}

export function NewRequisitionForm(props: { fields: NewRequisitionFields; onChange: (fields: NewRequisitionFields) => void }) {
  const f = props.fields;
  const field = (key: keyof NewRequisitionFields) => ({
    value: f[key],
    onInput: (e: Event) => props.onChange({ ...f, [key]: (e.currentTarget as HTMLInputElement).value }),
  });
  return (
    <fieldset class="export-new">
      <legend>{t("authority")}</legend>
      <div class="export-grid">
        <label>
          {t("name")}
          <input name="authority_name" required maxLength={200} {...field("name")} />
        </label>
        <label>
          {t("rank")}
          <input name="authority_rank" maxLength={100} {...field("rank")} />
        </label>
        <label>
          {t("service")}
          <input name="authority_service" required maxLength={200} {...field("service")} />
        </label>
        <label>
          {t("unit")}
          <input name="authority_unit" maxLength={200} {...field("unit")} />
        </label>
        <label>
          {t("basis")}
          <select name="legal_basis" {...field("basis")}>
            {BASES.map(([value, key]) => (
              <option key={value} value={value}>
                {t(key)}
              </option>
            ))}
          </select>
        </label>
        {f.basis === "other" && (
          <label>
            {t("basis_other")}
            <input name="legal_basis_other" required maxLength={4000} {...field("basisOther")} />
          </label>
        )}
        <label>
          {t("procedure")}
          <input name="procedure" required maxLength={100} placeholder="2026/001234" {...field("procedure")} />
        </label>
        <label>
          {t("received")}
          <input name="received_at" type="datetime-local" step={1} required {...field("received")} />
        </label>
      </div>
      <label>
        {t("notes")}
        <textarea name="notes" rows={2} maxLength={4000} {...field("notes")} />
      </label>
    </fieldset>
  );
}
