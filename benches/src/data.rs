//! The deterministic data generator: a seeded PRNG and realistic people.
//!
//! The same seed gives the same names, emails, phones, amounts and stage choices on every
//! machine and in every language that reads the store, so runs on different days or
//! engines compare like with like. Ids are UUIDv7 built from a synthetic clock and the PRNG,
//! so they are deterministic too (and time-ordered, like the ones Flame makes).

use time::OffsetDateTime;
use uuid::Uuid;

/// splitmix64: tiny, fast, and good enough to pick names and amounts.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started at `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift: no modulo bias worth speaking of for the small n used here.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// `true` with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// `n` decimal digits.
    pub fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }

    /// A UUIDv7 for the instant `at`, its random bits from this generator.
    pub fn uuid_v7(&mut self, at: OffsetDateTime) -> Uuid {
        let mut bytes = [0u8; 10];
        let (a, b) = (self.next_u64().to_le_bytes(), self.next_u64().to_le_bytes());
        bytes[..8].copy_from_slice(&a);
        bytes[8..].copy_from_slice(&b[..2]);
        let millis = u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid()
    }
}

/// Common first names across the markets a small-business CRM sells in.
pub const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Adam",
    "Aisha",
    "Alejandro",
    "Alexander",
    "Alice",
    "Amelia",
    "Ana",
    "Andrea",
    "Anna",
    "Anton",
    "Arjun",
    "Ben",
    "Camila",
    "Carlos",
    "Charlotte",
    "Chen",
    "Chloe",
    "Daniel",
    "David",
    "Diego",
    "Dmitri",
    "Elena",
    "Elif",
    "Emily",
    "Emma",
    "Ethan",
    "Fatima",
    "Felix",
    "Gabriel",
    "Grace",
    "Hannah",
    "Hiro",
    "Ines",
    "Isabella",
    "Ivan",
    "Jack",
    "James",
    "Jan",
    "Jana",
    "Jonas",
    "Julia",
    "Kai",
    "Karim",
    "Katarzyna",
    "Laura",
    "Leon",
    "Liam",
    "Lucas",
    "Lucia",
    "Luis",
    "Maria",
    "Mark",
    "Marta",
    "Mateo",
    "Mia",
    "Michael",
    "Mohammed",
    "Nadia",
    "Noah",
    "Nora",
    "Olga",
    "Oliver",
    "Olivia",
    "Omar",
    "Pablo",
    "Paul",
    "Pedro",
    "Priya",
    "Rahul",
    "Rosa",
    "Sara",
    "Sebastian",
    "Sofia",
    "Sophie",
    "Svetlana",
    "Thomas",
    "Tomas",
    "Valentina",
    "Victor",
    "William",
    "Yara",
    "Yuki",
    "Zoe",
];

/// Common last names across the same markets.
pub const LAST_NAMES: &[&str] = &[
    "Adams",
    "Ahmed",
    "Alvarez",
    "Anderson",
    "Bauer",
    "Becker",
    "Brown",
    "Castro",
    "Chen",
    "Clark",
    "Cohen",
    "Costa",
    "Davis",
    "Dubois",
    "Fernandez",
    "Fischer",
    "Garcia",
    "Gomez",
    "Gonzalez",
    "Green",
    "Hall",
    "Hansen",
    "Hernandez",
    "Hoffmann",
    "Ivanov",
    "Jansen",
    "Johnson",
    "Jones",
    "Kim",
    "King",
    "Kowalski",
    "Kumar",
    "Kuznetsova",
    "Lee",
    "Lopez",
    "Martin",
    "Martinez",
    "Meyer",
    "Miller",
    "Moreau",
    "Muller",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Olsen",
    "Park",
    "Patel",
    "Perez",
    "Petrov",
    "Popescu",
    "Ramirez",
    "Rossi",
    "Russo",
    "Sanchez",
    "Santos",
    "Schmidt",
    "Schneider",
    "Silva",
    "Singh",
    "Smirnova",
    "Smith",
    "Sokolov",
    "Suzuki",
    "Tanaka",
    "Taylor",
    "Thomas",
    "Torres",
    "Wagner",
    "Walker",
    "Wang",
    "Weber",
    "White",
    "Williams",
    "Wilson",
    "Wright",
    "Yamamoto",
    "Young",
    "Zhang",
];

/// Organizations contacts work for.
pub const ORGANIZATIONS: &[&str] = &[
    "Acme Robotics",
    "Blue Harbor Logistics",
    "Northwind Traders",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Fabrication",
    "Wayne Foods",
    "Cyberdyne Analytics",
    "Soylent Farms",
    "Tyrell Design",
    "Vandelay Imports",
    "Hooli Cloud",
    "Pied Piper",
    "Oceanic Air",
];

/// First words of generated organization names (the seeded organizations and those the
/// benchmarks create): the name search cycles over prefixes of them.
pub const ORGANIZATION_WORDS: &[&str] = &[
    "Acme",
    "Apex",
    "Atlas",
    "Aurora",
    "Beacon",
    "Blue Harbor",
    "Bright",
    "Cedar",
    "Cobalt",
    "Crescent",
    "Delta",
    "Evergreen",
    "Falcon",
    "Global",
    "Granite",
    "Harbor",
    "Horizon",
    "Iron",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Maple",
    "Meridian",
    "Nexus",
    "North Star",
    "Northwind",
    "Oak",
    "Orion",
    "Pacific",
    "Pinnacle",
    "Prime",
    "Quantum",
    "Redwood",
    "Riverside",
    "Silver",
    "Sterling",
    "Summit",
    "Titan",
    "Union",
    "Vertex",
    "Westfield",
    "Zenith",
];

/// What generated organizations do (the second word of their names, and their industry).
pub const INDUSTRIES: &[&str] = &[
    "Analytics",
    "Bakery",
    "Builders",
    "Clinics",
    "Consulting",
    "Dental",
    "Design",
    "Electric",
    "Engineering",
    "Fabrication",
    "Farms",
    "Foods",
    "Freight",
    "Health",
    "Imports",
    "Labs",
    "Legal",
    "Logistics",
    "Media",
    "Motors",
    "Partners",
    "Plastics",
    "Robotics",
    "Software",
    "Solar",
    "Supply",
    "Textiles",
    "Travel",
    "Ventures",
    "Welding",
];

/// Legal forms that end some organization names.
const LEGAL_FORMS: &[&str] = &["", "", "", " Inc", " LLC", " GmbH", " Ltd", " SA", " BV", " Group"];

/// Cities of generated organizations, with their ISO 3166 country.
const CITIES: &[(&str, &str)] = &[
    ("New York", "US"),
    ("Austin", "US"),
    ("Seattle", "US"),
    ("London", "GB"),
    ("Manchester", "GB"),
    ("Berlin", "DE"),
    ("Munich", "DE"),
    ("Moscow", "RU"),
    ("Kazan", "RU"),
];

/// Size bands, as Flame stores them.
const SIZES: &[&str] = &["1-10", "11-50", "51-200", "201-1000", "1000+"];

/// Organization name prefixes typed into the search box; the benchmarks cycle through them.
pub const ORGANIZATION_PREFIXES: &[&str] = &["nor", "sil", "blue", "ac", "pr", "ze", "har", "m"];

/// A generated organization, every field already in the form Flame stores it (the domain
/// normalized, the website as the URL parser writes it, the phone in E.164).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// Its name, `"<word> <industry>[ <legal form>]"`.
    pub name: String,
    /// `<word><industry><i>.example.com`, lowercase: unique for a distinct `i`.
    pub domain: String,
    /// E.164 phone.
    pub phone: String,
    /// City.
    pub city: String,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// `https://<domain>/`.
    pub website: String,
    /// Industry.
    pub industry: String,
    /// Size band.
    pub size: String,
}

impl Company {
    /// The lowercase name Flame's organization search and order use.
    pub fn name_key(&self) -> String {
        self.name.trim().to_lowercase()
    }
}

/// Organization number `i` of the stream `rng` draws from.
pub fn company(rng: &mut Rng, i: u64) -> Company {
    let word = *rng.pick(ORGANIZATION_WORDS);
    let industry = *rng.pick(INDUSTRIES);
    let form = *rng.pick(LEGAL_FORMS);
    let slug: String = format!("{word}{industry}")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let domain = format!("{slug}{i}.example.com");
    let (city, country) = *rng.pick(CITIES);
    Company {
        name: format!("{word} {industry}{form}"),
        website: format!("https://{domain}/"),
        domain,
        phone: phone(rng),
        city: city.to_owned(),
        country: country.to_owned(),
        industry: industry.to_owned(),
        size: (*rng.pick(SIZES)).to_owned(),
    }
}

/// Mail domains of the generated emails (all under reserved test names).
pub const DOMAINS: &[&str] =
    &["example.com", "example.org", "example.net", "mail.test", "corp.test", "shop.test"];

/// US area codes used for generated numbers (all in service).
const US_AREAS: &[&str] =
    &["201", "206", "212", "303", "305", "312", "415", "503", "512", "617", "646", "702", "713"];

/// Name prefixes typed into the search box; the benchmarks cycle through them.
pub const NAME_PREFIXES: &[&str] =
    &["ann", "mar", "dav", "ol", "chen", "smi", "pet", "gar", "sof", "kuz", "lu", "wil"];

/// A name prefix no generated first or last name starts with.
pub const NO_MATCH_PREFIX: &str = "qx";

/// Phone prefixes typed into the search box (any notation; Flame strips it to digits).
pub const PHONE_PREFIXES: &[&str] = &["+1 212", "+44 74", "+7 912", "+49 151", "+1 415 2"];

/// A generated person, with every field already in the form Flame stores it: the email in
/// lowercase, the phone in E.164.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Lowercase email.
    pub email: String,
    /// E.164 phone.
    pub phone: String,
    /// Organization, for about half of the people.
    pub organization: Option<String>,
}

impl Person {
    /// The lowercase "first last" Flame's name search matches.
    pub fn search_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name).to_lowercase()
    }

    /// The lowercase last name Flame's name search also matches.
    pub fn last_name_key(&self) -> String {
        self.last_name.to_lowercase()
    }
}

/// A valid E.164 mobile or fixed number: US 50%, UK 20%, Russia 15%, Germany 15%. Each
/// candidate is checked with Flame's own phone rules (libphonenumber metadata) and redrawn if
/// it falls in an unallocated range, so every generated phone is stored as itself.
pub fn phone(rng: &mut Rng) -> String {
    loop {
        let candidate = match rng.below(100) {
            0..=49 => {
                // NXX exchange: 2-9 then two digits, never N11.
                let area = rng.pick(US_AREAS);
                let mut exchange = format!("{}{}", rng.range(2, 9), rng.digits(2));
                if exchange.ends_with("11") {
                    exchange.replace_range(2..3, "0");
                }
                format!("+1{area}{exchange}{}", rng.digits(4))
            }
            50..=69 => format!("+4474{}", rng.digits(8)),
            70..=84 => format!("+7912{}", rng.digits(7)),
            _ => format!("+49151{}", rng.digits(8)),
        };
        if flame_core::phone::Phone::parse(&candidate, None).is_ok_and(|p| p.as_str() == candidate)
        {
            return candidate;
        }
    }
}

/// Person number `i` of the stream `rng` draws from.
pub fn person(rng: &mut Rng, i: u64) -> Person {
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    let domain = rng.pick(DOMAINS);
    let email = format!("{}.{}{}@{}", first.to_lowercase(), last.to_lowercase(), i, domain);
    let phone = phone(rng);
    let organization = rng.chance(50).then(|| (*rng.pick(ORGANIZATIONS)).to_owned());
    Person { first_name: first.to_owned(), last_name: last.to_owned(), email, phone, organization }
}

/// US area codes of inbound senders' numbers (all in service): none of them is in the list
/// the seeded and created contacts draw from, so an inbound sender never matches one of them by
/// phone.
const SENDER_AREAS: &[&str] = &["213", "310", "404", "718", "773", "917"];

/// How many numbers one sender area holds: exchanges 200-999, lines 0000-9999.
const SENDER_NUMBERS: u64 = 800 * 10_000;

/// The E.164 number of inbound sender `i`: a US number in an area no generated contact uses,
/// its exchange and line spelled from `i`, so that different `i` (below 48 million) never share
/// a number. `None` in the rare case Flame's phone rules would not store it as itself.
pub fn sender_phone(i: u64) -> Option<String> {
    let area = SENDER_AREAS[((i / SENDER_NUMBERS) % SENDER_AREAS.len() as u64) as usize];
    let n = i % SENDER_NUMBERS;
    let candidate = format!("+1{area}{:03}{:04}", 200 + n / 10_000, n % 10_000);
    flame_core::phone::Phone::parse(&candidate, None)
        .is_ok_and(|p| p.as_str() == candidate)
        .then_some(candidate)
}

/// First messages people send a business on a messaging channel.
pub const MESSAGE_TEXTS: &[&str] = &[
    "Hi! Do you ship to Germany?",
    "Hello, is the Pro plan still available this month?",
    "Good afternoon. Could you send me your price list?",
    "Hi, I saw your ad. How long does installation take?",
    "Do you have this in stock? I need 12 units by Friday.",
    "Hello! Can I book a demo for next week?",
    "Is there a discount for non-profits?",
    "Hi, my colleague recommended you. Can we talk tomorrow?",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_people() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for i in 0..100 {
            assert_eq!(person(&mut a, i), person(&mut b, i));
        }
    }

    #[test]
    fn generated_values_are_what_flame_stores() {
        let mut rng = Rng::new(42);
        for i in 0..2_000 {
            let p = person(&mut rng, i);
            let phone = flame_core::phone::Phone::parse(&p.phone, None)
                .unwrap_or_else(|e| panic!("{}: {e:?}", p.phone));
            assert_eq!(phone.as_str(), p.phone, "phone {} is stored as itself", p.phone);
            let email = flame_core::email::Email::parse(&p.email).expect("a valid email");
            assert_eq!(email.as_str(), p.email);
        }
    }

    #[test]
    fn generated_organizations_are_what_flame_stores() {
        let mut rng = Rng::new(5);
        for i in 0..500 {
            let c = company(&mut rng, i);
            let input = flame_core::organization::NewOrganization {
                name: c.name.clone(),
                domain: Some(c.domain.clone()),
                phone: Some(c.phone.clone()),
                city: Some(c.city.clone()),
                country: Some(c.country.clone()),
                website: Some(c.website.clone()),
                industry: Some(c.industry.clone()),
                size: Some(c.size.clone()),
                ..Default::default()
            };
            let org = flame_core::organization::Organization::create(
                flame_core::CompanyId::new(),
                &input,
                flame_core::UserId::new(),
                time::OffsetDateTime::UNIX_EPOCH,
            )
            .unwrap_or_else(|e| panic!("{c:?}: {e:?}"));
            assert_eq!(org.name, c.name);
            assert_eq!(org.domain.as_deref(), Some(c.domain.as_str()));
            assert_eq!(org.website.as_deref(), Some(c.website.as_str()));
            assert_eq!(org.phone.as_ref().map(|p| p.as_str()), Some(c.phone.as_str()));
            assert_eq!(org.country.as_deref(), Some(c.country.as_str()));
            assert_eq!(org.size.map(|s| s.as_str()), Some(c.size.as_str()));
            assert_eq!(org.name_key(), c.name_key());
        }
    }

    #[test]
    fn uuids_are_v7_and_ordered_by_time() {
        let mut rng = Rng::new(1);
        let t = time::macros::datetime!(2025-01-01 0:00 UTC);
        let a = rng.uuid_v7(t);
        let b = rng.uuid_v7(t + time::Duration::milliseconds(1));
        assert_eq!(a.get_version_num(), 7);
        assert!(a < b);
    }

    #[test]
    fn sender_phones_are_distinct_stored_as_themselves_and_apart_from_contacts() {
        let mut seen = std::collections::HashSet::new();
        // Every exchange of every sender area, and the first numbers of each runner's lane.
        let every_exchange = (0..SENDER_AREAS.len() as u64 * 800).map(|k| k * 10_000 + k % 10_000);
        let lanes = (1..=2_u64).flat_map(|lane| (0..2_000).map(move |k| lane * 10_000_000 + k));
        let senders: std::collections::BTreeSet<u64> = every_exchange.chain(lanes).collect();
        for i in senders {
            let phone = sender_phone(i).unwrap_or_else(|| panic!("sender {i} has no valid number"));
            assert!(US_AREAS.iter().all(|a| !phone.starts_with(&format!("+1{a}"))), "{phone}");
            assert!(seen.insert(phone), "sender {i} shares a number");
        }
    }
}
