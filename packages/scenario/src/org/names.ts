// Name parts for generated people and customers. Plain ASCII plus a few accented names, so that UTF-8
// handling is exercised without making ids non-printable (ids are generated separately).
export const FIRST_NAMES = [
  "Ana",
  "Ben",
  "Chloé",
  "Dev",
  "Emma",
  "Farid",
  "Grace",
  "Hiro",
  "Ines",
  "Jonas",
  "Kofi",
  "Lena",
  "Mateo",
  "Nora",
  "Omar",
  "Priya",
  "Quinn",
  "Rosa",
  "Sven",
  "Tara",
  "Uma",
  "Victor",
  "Wen",
  "Ximena",
  "Yusuf",
  "Zoë",
] as const;

export const LAST_NAMES = [
  "Adeyemi",
  "Bauer",
  "Chen",
  "Dubois",
  "Eriksen",
  "Fischer",
  "García",
  "Haddad",
  "Ito",
  "Jansen",
  "Kowalski",
  "Lima",
  "Müller",
  "Nakamura",
  "O'Brien",
  "Patel",
  "Quispe",
  "Rossi",
  "Silva",
  "Tanaka",
  "Usman",
  "Varga",
  "Weber",
  "Xu",
  "Yilmaz",
  "Zhang",
] as const;

export const CUSTOMER_PREFIXES = [
  "Northwind",
  "Contoso",
  "Globex",
  "Initech",
  "Umbrella",
  "Stark",
  "Wayne",
  "Acme",
  "Hooli",
  "Vandelay",
  "Soylent",
  "Tyrell",
  "Wonka",
  "Cyberdyne",
  "Oscorp",
  "Aperture",
  "Gringotts",
  "Monarch",
  "Pied Piper",
  "Dunder",
] as const;

export const CUSTOMER_SUFFIXES = [
  "Logistics",
  "Health",
  "Bank",
  "Retail",
  "Energy",
  "Labs",
  "Media",
  "Foods",
  "Airlines",
  "Insurance",
] as const;

/** ASCII-only local part for an email address. */
export function emailLocalPart(first: string, last: string): string {
  return `${first}.${last}`
    .normalize("NFD")
    .replace(/[^A-Za-z.]/g, "")
    .toLowerCase();
}
