// The password policy's refusals (beffroi.access.passwords, CNIL deliberation 2022-100)
// in French: the server checks and names the rule (`detail.code`), the console says it.
// One table for every form where a password is chosen: with an access code, or when a
// user changes its own.
import { messages } from "./i18n";

const t = messages({
  fr: {
    help: "12 caractères au moins avec minuscules, majuscules, chiffres et symboles (ou une phrase de passe de 20 caractères).",
    too_short: "Mot de passe trop court : 12 caractères au moins.",
    too_long: "Mot de passe trop long : 1 024 caractères au plus.",
    too_weak:
      "Mot de passe trop faible : 12 caractères avec minuscules, majuscules, chiffres et symboles, ou 14 avec trois de ces types, ou une phrase de passe de 20 caractères.",
    too_repetitive: "Mot de passe trop répétitif : 6 caractères différents au moins.",
    common: "Ce mot de passe figure dans la liste des mots de passe courants.",
    contains_username: "Le mot de passe ne doit pas contenir l'identifiant.",
    mismatch: "Les deux saisies du nouveau mot de passe diffèrent.",
  },
  en: {
    help: "At least 12 characters with lower and upper case, digits and symbols (or a passphrase of 20 characters).",
    too_short: "Password too short: at least 12 characters.",
    too_long: "Password too long: 1,024 characters at most.",
    too_weak:
      "Password too weak: 12 characters with lower and upper case, digits and symbols, or 14 with three of these, or a passphrase of 20 characters.",
    too_repetitive: "Password too repetitive: at least 6 different characters.",
    common: "This password is in the list of common passwords.",
    contains_username: "The password must not contain the username.",
    mismatch: "The two entries of the new password differ.",
  },
});

type PolicyCode = "too_short" | "too_long" | "too_weak" | "too_repetitive" | "common" | "contains_username";
const POLICY = new Set<string>(["too_short", "too_long", "too_weak", "too_repetitive", "common", "contains_username"]);

/** The French sentence of a policy rule (`detail.code`), or null for a code it does not know. */
export function policyMessage(code: string): string | null {
  return POLICY.has(code) ? t(code as PolicyCode) : null;
}

/** What the policy asks, shown under a new-password field. */
export function policyHelp(): string {
  return t("help");
}

/** The sentence when the confirmation differs from the password, null when they match. */
export function confirmationProblem(password: string, confirmation: string): string | null {
  return password === confirmation ? null : t("mismatch");
}
