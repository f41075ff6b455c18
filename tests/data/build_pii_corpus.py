"""Writes tests/data/pii_corpus.jsonl: a labelled corpus for the personal-data detector.

    python tests/data/build_pii_corpus.py

Each line is one text with who wrote it ("user" or "model") and the personal data in it, each
as a kind and the exact substring that must be covered (the n-th occurrence when "occurrence"
says so). Texts with no personal data are clean look-alikes: version numbers, dates, hashes,
ISBNs, UUIDs, code, prices, order numbers, maths, placeholders. Values are drawn with a fixed
seed from the formats people really use, then disguised the ways the privacy issue (#11) lists:
markdown emphasis, code spans and fences, HTML entities, zero-width characters, [at]/(dot),
CR LF line endings. Run it again after changing it; the file is checked in.
"""

import json
import random
import string
from pathlib import Path

import phonenumbers

OUT = Path(__file__).with_name("pii_corpus.jsonl")
rng = random.Random(11)

FIRST = [
    "Jana", "Petra", "Erika", "Maximilian", "Sophie", "Lukas", "Chloé", "Julien", "Camille",
    "Wei", "Li", "Priya", "Arjun", "Ananya", "Rahul", "Olumide", "Amara", "Mateo", "Lucía",
    "Sarah", "Michael", "Jennifer", "David", "Emily", "James", "Olivia", "Daniel", "Hannah",
    "Thomas", "Laura", "Kevin", "Rebecca", "Marco", "Giulia", "Sven", "Ingrid", "Kenji", "Yuki",
    "Fatima", "Omar", "Aisha", "Noah", "Emma", "Liam", "Mia", "Oliver", "Charlotte", "Ethan",
]  # fmt: skip
LAST = [
    "Novak", "Schmidt", "Mustermann", "Müller", "Weber", "Dubois", "Lefèvre", "Zhang", "Wang",
    "Sharma", "Patel", "Iyer", "Adeyemi", "Okafor", "García", "Fernández", "Smith", "Johnson",
    "Brown", "Miller", "Davis", "Wilson", "Taylor", "Anderson", "Thompson", "Moore", "Rossi",
    "Bianchi", "Lindqvist", "Tanaka", "Sato", "Haddad", "Khan", "O'Brien", "McDonald", "Kowalski",
]  # fmt: skip
PROVIDERS = [
    "gmail.com", "posteo.de", "outlook.com", "yahoo.co.uk", "web.de", "qq.com", "163.com",
    "proton.me", "icloud.com", "gmx.net", "orange.fr", "hotmail.com", "acme-corp.io",
    "uni-heidelberg.de", "mail.ru", "rediffmail.com", "fastmail.fm", "t-online.de",
]  # fmt: skip


def record(text, pii=(), author="user", note=""):
    for item in pii:
        assert item["value"] in text, (item, text)
    return {"text": text, "author": author, "pii": list(pii), "note": note}


def item(kind, value, **extra):
    return {"kind": kind, "value": value, **extra}


# -- e-mail ---------------------------------------------------------------------------------


def mailbox():
    first, last = rng.choice(FIRST), rng.choice(LAST)
    first, last = _ascii(first).lower(), _ascii(last).lower()
    shape = rng.choice(
        [
            f"{first}.{last}",
            f"{first}{last}{rng.randint(1, 99)}",
            f"{first[0]}_{last}",
            f"{first}+{rng.choice(['bills', 'news', 'shop'])}",
            f"{last}.{first}",
        ]
    )
    return f"{shape}@{rng.choice(PROVIDERS)}"


def _ascii(name):
    table = str.maketrans("éèüöäíáçñ'", "eeuoaiacn-")
    return name.translate(table).replace("-", "")


EMAIL_DISGUISES = [
    ("plain", lambda local, host: f"{local}@{host}"),
    ("bold domain", lambda local, host: f"{local}@**{host.split('.')[0]}**.{_tld(host)}"),
    ("italic local", lambda local, host: f"*{local}*@{host}"),
    ("code span", lambda local, host: f"`{local}@{host}`"),
    ("entity &#64;", lambda local, host: f"{local}&#64;{host}"),
    ("entity &commat;", lambda local, host: f"{local}&commat;{host}"),
    ("entity &#x40;", lambda local, host: f"{local}&#x40;{host}"),
    ("zero-width space", lambda local, host: f"{local[:3]}\u200b{local[3:]}@{host}"),
    ("soft hyphen", lambda local, host: f"{local}@{host[:2]}\u00ad{host[2:]}"),
    ("[at] (dot)", lambda local, host: f"{local} [at] {host.split('.')[0]} [dot] {_tld(host)}"),
    ("fullwidth at", lambda local, host: f"{local}\uff20{host}"),
    ("strikethrough", lambda local, host: f"~~{local}~~@{host}"),
    ("escaped underscore", lambda local, host: local.replace(".", "\\_") + "@" + host),
]
EMAIL_FRAMES = [
    "Write to {} today.",
    "My email is {} if the form fails.",
    "CC: {}",
    "Please forward the invoice to {} — thanks!",
    "contact: {}\nphone to follow",
    "Reply to {}, not to the list.",
    "Can you draft a reply to {} saying I'll be late?",
    "The recruiter ({}) never answered.",
]


def _tld(host):
    return host.split(".", 1)[1]


def emails():
    records = []
    for name, disguise in EMAIL_DISGUISES:
        for _ in range(4):
            local, host = mailbox().split("@")
            value = disguise(local, host)
            frame = rng.choice(EMAIL_FRAMES)
            records.append(record(frame.format(value), [item("EMAIL", value)], note=name))
    for local in ("jane.doe", "john.doe", "test", "user", "example", "foo"):
        value = f"{local}@{rng.choice(PROVIDERS)}"
        records.append(
            record(f"Send it to {value} please.", [item("EMAIL", value)], note="stock mailbox")
        )
    for _ in range(4):
        value = mailbox()
        text = f"Sure, I have written to {value} as you asked."
        records.append(record(text, [item("EMAIL", value)], author="model", note="model"))
    return records


# -- phones ---------------------------------------------------------------------------------


def _valid(number, region):
    return phonenumbers.is_valid_number(phonenumbers.parse(number, region))


def _digits(count):
    return "".join(rng.choice(string.digits) for _ in range(count))


def _draw(make, region):
    for _ in range(200):
        number = make()
        if _valid(number, region):
            return number
    raise AssertionError(f"no valid {region} number drawn")


PHONE_SHAPES = [
    ("US", lambda: f"({rng.choice(['415', '212', '617', '303'])}) {_x()}-{_digits(4)}"),
    ("US", lambda: f"{rng.choice(['415', '206', '512'])}.{_x()}.{_digits(4)}"),
    ("US", lambda: f"{rng.choice(['415', '718', '312'])}-{_x()}-{_digits(4)}"),
    ("US", lambda: f"+1 {rng.choice(['415', '646', '305'])} {_x()} {_digits(4)}"),
    ("US", lambda: f"1-800-{_x()}-{_digits(4)}"),
    ("GB", lambda: f"020 7{_digits(3)} {_digits(4)}"),
    ("GB", lambda: f"07{rng.choice(['911', '700', '400', '812'])} {_digits(6)}"),
    ("GB", lambda: f"+44 20 7{_digits(3)} {_digits(4)}"),
    ("GB", lambda: f"+44 (0)161 {_digits(3)} {_digits(4)}"),
    ("GB", lambda: f"+44 7{rng.choice(['911', '400'])} {_digits(6)}"),
    ("DE", lambda: f"030 {_digits(8)}"),
    ("DE", lambda: f"+49 30 {_digits(8)}"),
    ("DE", lambda: f"0151 {_digits(8)}"),
    ("DE", lambda: f"+49 151 {_digits(8)}"),
    ("DE", lambda: f"089/{_digits(7)}"),
    ("FR", lambda: f"01 {_digits(2)} {_digits(2)} {_digits(2)} {_digits(2)}"),
    ("FR", lambda: f"06.{_digits(2)}.{_digits(2)}.{_digits(2)}.{_digits(2)}"),
    ("FR", lambda: f"+33 6 {_digits(2)} {_digits(2)} {_digits(2)} {_digits(2)}"),
    ("FR", lambda: f"+33 1 {_digits(2)} {_digits(2)} {_digits(2)} {_digits(2)}"),
    ("CN", lambda: f"13{rng.choice('89')}{_digits(8)}"),
    ("CN", lambda: f"15{rng.choice('0189')} {_digits(4)} {_digits(4)}"),
    ("CN", lambda: f"+86 13{rng.choice('89')} {_digits(4)} {_digits(4)}"),
    ("CN", lambda: f"010-{rng.choice('68')}{_digits(7)}"),
    ("IN", lambda: f"+91 9{_digits(4)} {_digits(5)}"),
    ("IN", lambda: f"98{_digits(3)} {_digits(5)}"),
    ("IN", lambda: f"022 2{_digits(3)} {_digits(4)}"),
    ("IN", lambda: f"+91-80-2{_digits(7)}"),
]
PHONE_FRAMES = [
    "Call me on {} tonight.",
    "My number is {}.",
    "You can reach the landlord at {} after 6pm",
    "Tel: {}",
    "WhatsApp {} if it's urgent",
    "The clinic ({}) said to come back Monday.",
    "mobile {} / office hours only",
    "Please ring {} and ask for the front desk.",
]


def _x():
    return f"{rng.randint(2, 9)}{_digits(2)}"


PHONE_DISGUISES = [
    ("plain", lambda n: n),
    ("backticked group", lambda n: _wrap_group(n, "`")),
    ("bold group", lambda n: _wrap_group(n, "**")),
    ("zero-width space", lambda n: n[:4] + "\u200b" + n[4:]),
    ("non-breaking spaces", lambda n: n.replace(" ", "\u00a0")),
    ("en dashes", lambda n: n.replace("-", "–")),
]


def _wrap_group(number, marker):
    groups = number.split(" ")
    if len(groups) < 2:
        return f"{marker}{number}{marker}"
    at = rng.randrange(len(groups))
    groups[at] = f"{marker}{groups[at]}{marker}"
    return " ".join(groups)


def phones():
    records = []
    for region, make in PHONE_SHAPES:
        for name, disguise in rng.sample(PHONE_DISGUISES, 3) + [PHONE_DISGUISES[0]]:
            value = disguise(_draw(make, region))
            text = rng.choice(PHONE_FRAMES).format(value)
            records.append(record(text, [item("PHONE", value)], note=f"{region} {name}"))
    issue = ["13800138000", "415.555.0123", "+44 20 7946 0958", "+49 30 12345678"]
    issue += ["+44 20 `7946` 0958", "`+49 30` 12345678"]
    for value in issue:
        records.append(record(f"ring {value} later", [item("PHONE", value)], note="issue #11"))
        records.append(record(value, [item("PHONE", value)], note="issue #11, alone"))
    return records


# -- cards and IBANs --------------------------------------------------------------------------


def luhn_complete(prefix, length):
    body = prefix + _digits(length - len(prefix) - 1)
    total = 0
    for index, digit in enumerate(reversed(body)):
        value = int(digit) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return body + str((10 - total % 10) % 10)


CARD_NETWORKS = [("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("6011", 16), ("37", 15)]


def card_number():
    prefix, length = rng.choice(CARD_NETWORKS)
    digits = luhn_complete(prefix, length)
    if length == 15:
        groups = [digits[:4], digits[4:10], digits[10:]]
    else:
        groups = [digits[i : i + 4] for i in range(0, 16, 4)]
    separator = rng.choice([" ", "-", " ", ""])
    return groups, separator


def cards():
    frames = [
        "Paid with {} last week, still no refund.",
        "card {} exp 04/27 cvc on the back",
        "Is {} a valid Visa number? It keeps failing.",
        "my card number: {}",
    ]
    records = []
    for disguise in ("plain", "emphasised group", "backticked group", "zero-width"):
        for _ in range(7):
            groups, separator = card_number()
            if disguise == "emphasised group" and separator:
                groups[2] = f"*{groups[2]}*"
            elif disguise == "backticked group" and separator:
                groups[1] = f"`{groups[1]}`"
            value = separator.join(groups)
            if disguise == "zero-width":
                value = value[:6] + "\u200b" + value[6:]
            text = rng.choice(frames).format(value)
            records.append(record(text, [item("CREDIT_CARD", value)], note=disguise))
    value = "4111 1111 *1111* 1111"
    records.append(record(f"card {value} ok", [item("CREDIT_CARD", value)], note="issue #11"))
    return records


IBAN_FORMATS = {
    "DE": lambda: _digits(18),
    "GB": lambda: rng.choice(["NWBK", "BARC", "LOYD"]) + _digits(14),
    "FR": lambda: _digits(23),
    "NL": lambda: rng.choice(["ABNA", "INGB", "RABO"]) + _digits(10),
    "ES": lambda: _digits(20),
    "IT": lambda: "X" + _digits(22),
    "AT": lambda: _digits(16),
    "CH": lambda: _digits(17),
    "BE": lambda: _digits(12),
    "PL": lambda: _digits(24),
}


def iban(country):
    bban = IBAN_FORMATS[country]()
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    return f"{country}{check:02d}{bban}"


def ibans():
    frames = [
        "Please transfer it to IBAN {} by Friday.",
        "Bank details: {}",
        "my iban is {} (Sparkasse)",
    ]
    records = []
    for country in IBAN_FORMATS:
        for disguise in ("grouped", "compact", "fenced tail", "line break", "code tail"):
            compact = iban(country)
            grouped = " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
            value = {
                "grouped": grouped,
                "compact": compact,
                "fenced tail": grouped[:14] + "\n```\n" + grouped[15:] + "\n```",
                "line break": grouped[:19] + "\n" + grouped[20:],
                "code tail": grouped[:19] + " `" + grouped[20:] + "`",
            }[disguise]
            text = rng.choice(frames).format(value)
            records.append(record(text, [item("IBAN", value)], note=f"{country} {disguise}"))
    return records


# -- IP addresses ---------------------------------------------------------------------------


def ips():
    person = [
        "203.0.113.45", "192.168.1.1", "10.20.30.40", "172.16.5.4", "127.0.0.1", "8.8.8.8",
        "81.169.145.105", "198.51.100.7", "100.64.12.9", "2a00:1450:4001:82a::200e",
        "fe80::1ff:fe23:4567:890a", "2001:db8::42", "185.199.108.153", "91.198.174.192",
        "10.0.0.12/24", "::ffff:203.0.113.9",
    ]  # fmt: skip
    frames = [
        "the shop at {} charged me twice",
        "my router is {} and it keeps dropping",
        "ssh into {} fails with timeout",
        "Our VPN gives me {} — is that leaking?",
    ]
    records = [
        record(rng.choice(frames).format(value), [item("IP_ADDRESS", value)], note="person")
        for value in person
        for _ in range(2)
    ]
    disguised = ["203.0.113.`45`", "81.169.**145**.105", "192.168.1.1", "10.0.0.5"]
    for value in disguised:
        records.append(record(f"IP {value} here", [item("IP_ADDRESS", value)], note="disguised"))
    for value in ("81.169.145.105", "185.199.108.153", "2a00:1450:4001:82a::200e"):
        text = f"Your server at {value} is reachable from the internet."
        records.append(record(text, [item("IP_ADDRESS", value)], author="model", note="public"))
    return records


# -- secrets and credentials -------------------------------------------------------------------


def token(alphabet, length):
    return "".join(rng.choice(alphabet) for _ in range(length))


B62 = string.ascii_letters + string.digits
B64 = B62 + "+/"


def shaped_secrets():
    upper = string.ascii_uppercase + string.digits
    return [
        "sk-proj-" + token(B62, 40),
        "sk-ant-api03-" + token(B62, 40),
        "ghp_" + token(B62, 36),
        "github_pat_" + token(B62 + "_", 60),
        "glpat-" + token(B62, 20),
        "AKIA" + token(upper, 16),
        "xoxb-" + token(string.digits, 12) + "-" + token(B62, 24),
        "AIza" + token(B62, 35),
        "sk_live_" + token(B62, 24),
        "hf_" + token(B62, 34),
        "eyJ" + token(B62, 20) + ".eyJ" + token(B62, 30) + "." + token(B62 + "-_", 43),
    ]


def secrets():
    records = []
    for value in shaped_secrets() * 2:
        frame = rng.choice(["key {} works", "Here is my token: {}", "`{}`", "use {} for now"])
        records.append(record(frame.format(value), [item("SECRET", value)], note="shape"))
    for value in shaped_secrets()[:6]:
        tail = value[:12] + "`" + value[12:] + "`"
        records.append(record(f"key {tail} ok", [item("SECRET", tail)], note="backticked tail"))
    for name in (
        "AWS_SECRET_ACCESS_KEY", "DJANGO_SECRET_KEY", "STRIPE_KEY", "SENTRY_DSN_KEY",
        "DB_PASS", "OPENAI_API_KEY", "MY_APP_SIGNING", "CI_DEPLOY_CRED", "WEBHOOK_SALT",
    ):  # fmt: skip
        value = token(B64, 40)
        for prefix in ("export ", ""):
            text = f"{prefix}{name}={value}\nthen run the script"
            records.append(record(text, [item("SECRET", value)], note="shell assignment"))
    for flag in ("--secret", "--password", "--api-key", "--token", "--client-secret", "--auth"):
        value = token(B62, 24)
        text = f"I run it with `tool sync {flag} {value} --verbose` and it fails"
        records.append(record(text, [item("SECRET", value)], note="flag"))
    for flag in ("--signing", "--dsn-value", "--creds"):
        value = token(B62, 32)
        text = f"deploy.sh {flag}={value} --region eu-west-1"
        records.append(record(text, [item("SECRET", value)], note="flag, any name"))
    for password in ("Hunter2pass", "Tr0ub4dor&3", "s3cr3t-Pa55", "Zx9!qLm2#r", "Winter2024!"):
        records += [
            record(f"mysql -u root -p{password} shop", [item("SECRET", password)], note="mysql"),
            record(
                f"curl -u alice:{password} https://api.acme-corp.io",
                [item("SECRET", password)],
                note="curl -u",
            ),
            record(f'db = connect(password="{password}")', [item("SECRET", password)], note="code"),
            record(f"password: {password}", [item("SECRET", password)], note="prose colon"),
            record(
                f"my password is {password} but it says wrong",
                [item("SECRET", password)],
                note="prose",
            ),
            record(f"The wifi password is {password}.", [item("SECRET", password)], note="prose"),
        ]
    for word in ("sunshine", "dragonfly", "letmein"):
        text = f"my password is {word}, is that too weak?"
        records.append(record(text, [item("SECRET", word)], note="prose, plain word"))
    for _ in range(4):
        value = token(string.hexdigits.lower()[:16], 32)
        text = f'curl -H "Authorization: Bearer {value}" https://api.acme-corp.io/v1/me'
        records.append(record(text, [item("SECRET", value)], note="bearer"))
    return records


def url_credentials():
    records = []
    for user, password, host in (
        ("root", "Hunter2pass", "10.20.30.40"),
        ("deploy", "Xk9mQ2v7", "git.acme-corp.io"),
        ("admin", "s3cr3t-Pa55", "db.internal.acme.io"),
        ("pi", "r4spb3rry!", "192.168.0.17"),
        ("ubuntu", "Qw3rty987", "ec2-3-120-55-1.compute.amazonaws.com"),
    ):
        value = f"{user}:{password}@{host}"
        records.append(record(f"ssh {value}", [item("URL_CREDENTIALS", value)], note="ssh"))
        url = f"postgresql://{user}:{password}@{host}:5432/app"
        records.append(
            record(f"DATABASE_URL={url}", [item("URL_CREDENTIALS", url)], note="url password")
        )
    for _ in range(5):
        url = f"https://files.acme-mail.com/dl?id=42&token={token(B62, 24)}"
        records.append(record(f"Link: {url} (1h)", [item("URL_CREDENTIALS", url)], note="token"))
    return records


# -- addresses and names -----------------------------------------------------------------------

ADDRESSES = [
    "1600 Amphitheatre Parkway, Mountain View, CA 94043",
    "350 Fifth Avenue, Suite 3400, New York, NY 10118",
    "742 Evergreen Terrace, Springfield, OR 97477",
    "12 Oak Street, Apt 4B, Boston, MA 02118",
    "4821 W Belmont Ave, Chicago, IL 60641",
    "88 Colin P Kelly Jr Street, San Francisco, CA 94107",
    "2300 N Lamar Blvd, Austin, TX 78705",
    "17 Maple Drive",
    "905 Elm Road, Denver, CO 80203",
    "10 Downing Street, London SW1A 2AA",
    "221B Baker Street, London NW1 6XE",
    "Flat 3, 14 Elm Grove, Leeds LS6 2AB",
    "27 Victoria Road, Cambridge CB4 3LF",
    "5 Kings Close, Bristol BS8 1TH",
    "42 Station Lane",
    "Musterstraße 12, 10115 Berlin",
    "Karl-Marx-Allee 34, 10178 Berlin",
    "Berliner Straße 5a, 69120 Heidelberg",
    "Hauptstr. 7, 80331 München",
    "12 rue de la Paix, 75002 Paris",
    "8 avenue des Champs-Élysées, 75008 Paris",
    "3 place Bellecour, 69002 Lyon",
    "PO Box 1234",
    "160 Queen's Gate, London SW7 5HF",
    "77 Massachusetts Avenue, Cambridge, MA 02139",
]


def addresses():
    frames = [
        "I live at {} and the parcel never came.",
        "Ship it to {}, please.",
        "Our new office: {}\nOpen 9-5.",
        "Write a complaint to my landlord at {} about the heating.",
    ]
    return [
        record(rng.choice(frames).format(value), [item("ADDRESS", value)], note="address")
        for value in ADDRESSES
        for _ in range(2)
    ]


def full_name():
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


NAME_FRAMES = [
    ("Hi, I'm {}. I need help with my visa letter.", "intro"),
    ("My name is {} and I work in accounting.", "my name is"),
    ("Please call me {} from now on.", "call me"),
    ("Dear {},\n\nThank you for the quick reply.", "dear"),
    ("Can you fix this email?\n\nThanks,\n{}", "signature thanks"),
    ("Let me know what you think.\n\nBest regards,\n{}", "signature regards"),
    ("That's all for today.\nCheers,\n{}", "signature cheers"),
    ("I'm {} and I moved here last year.", "intro"),
    ("Hello {}, the meeting moved to 3pm.", "greeting"),
    ("Ask {} why my starter is flat?", "bare full name"),
    ("I had a call with {} yesterday about the contract.", "bare full name"),
    ("Dr. {} said the results look fine.", "title"),
]


def names():
    records = []
    for frame, note in NAME_FRAMES:
        for _ in range(6):
            if note in ("call me", "greeting"):
                value = rng.choice(FIRST)
            elif note == "title":
                value = rng.choice(LAST)
            elif note == "bare full name":
                value = f"{rng.choice(FIRST[17:40])} {rng.choice(LAST[16:26])}"
            else:
                value = full_name() if rng.random() < 0.7 else rng.choice(FIRST)
            records.append(record(frame.format(value), [item("PERSON", value)], note=note))
    for value in ("Jana Novak", "Marco Rossi"):
        text = f"Dear {value},\n\nHere is the summary you asked for."
        records.append(record(text, [item("PERSON", value)], author="model", note="model dear"))
    return records


# -- mixed and line endings --------------------------------------------------------------------


def mixed():
    records = []
    for _ in range(6):
        name, mail = full_name(), mailbox()
        phone = _draw(PHONE_SHAPES[6][1], "GB")
        text = f"Hi, I'm {name}.\r\nMail {mail} or call {phone}.\r\nThanks!"
        pii = [item("PERSON", name), item("EMAIL", mail), item("PHONE", phone)]
        records.append(record(text, pii, note="CR LF"))
    return records


# -- clean look-alikes -------------------------------------------------------------------------

CLEAN_USER = [
    "Upgraded from 1.2.3 to v2.10.4 and then Python 3.11.7; Windows build 10.0.19041.1",
    "The meeting is on 2023-01-15, or 15.01.2023 in German, or 01/15/2023 in the US.",
    "commit 3f2a1b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a fixed it",
    "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "md5 d41d8cd98f00b204e9800998ecf8427e is the empty file",
    "ISBN 978-3-16-148410-0 and ISBN 0-306-40615-2",
    "id 123e4567-e89b-12d3-a456-426614174000 in the logs",
    "def __init__(self, **kwargs):\n    self.total = 2**40 * a*b",
    "api_key = os.environ['OPENAI_API_KEY']",
    "password = getpass.getpass()",
    "export PATH=$PATH:/usr/local/bin",
    "python train.py --output build/ --epochs 12 --lr 3e-4",
    "docker run -p 8080:80 nginx && mkdir -p /srv/data",
    "It cost $1,234.56 plus €49.99 shipping, 1 234,56 € in total.",
    "Order #123456789 and invoice INV-2023-00042 are still open.",
    "pi is 3.14159265358979 and 2^31-1 = 2147483647",
    "The population is 1,402,112,000 and growing 0.3 % a year.",
    "At 12:30:45 the job ran; lat 52.5200, lon 13.4050.",
    "Test card 1234 5678 9012 3456 fails Luhn on purpose.",
    "snmpwalk enterprises.9.9.392.1.3.21.1.18 | awk",
    "Write to john.doe@example.com or user@domain.com (placeholders).",
    'OPENAI_API_KEY="YOUR_API_KEY" and password: "<your password>"',
    "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx is the shape of a key",
    "Authorization: Bearer $GITHUB_TOKEN",
    "postgres://user:password@localhost/db",
    "token = tokenizer.encode(text); max_new_tokens=512",
    "I'm happy with the result, thanks!",
    "I am French and I live in Lyon.",
    "Hello World! is the first program.",
    "My name is [Your Name] and I am applying for the role.",
    "Dear Sir or Madam,\n\nI am writing to apply.",
    "Best regards,\n[Your Name]",
    "In Swift, how can I match an enum?",
    "The matrix is [[1, 0, 0], [0, 1, 0], [0, 0, 1]] and det = 1.",
    "Use version 1.2.3.4 of the driver.",
    "A UUID like 550e8400-e29b-41d4-a716-446655440000 is random.",
    "The years 2019 2020 2021 were hard.",
    "Set timeout=30 and retries=5 in config.yaml",
    "git@github.com:acme/app.git is the remote",
    "See https://docs.python.org/3/library/re.html for details.",
    "The ratio is 16:9 and the answer is 42.",
    "Build 20230115.3 passed 1024/1024 tests.",
    "Prices: 19.99, 29.99, 39.99",
    "The function f(x) = 3x^2 + 2x - 7 has roots near 1.19 and -1.86.",
    "Route 66 runs 2,448 miles.",
    "chmod 0755 script.sh && ls -la",
    'Call the function with key="download_rules_data".',
    "mysql -u root -p shop < dump.sql",
    "Chapter 5 Main Points are listed below.",
    "Step 3 Park the car and switch off the engine.",
    "export DEPLOY_ENV=staging-cluster-2024-blue\nexport LANG=en_US.UTF-8",
    "gcloud run deploy --service-account my-service-account-42 --region europe-west1",
    "export USER_AGENT=Mozilla/5.0-compatible\nexport CACHE_DIR=node_modules_cache_v12",
    "verify --checksum sha256:9f86d081884c7d659a2feaa0c55ad015 --strict",
    "release --version v1.2.3-beta.4+build.5678 --title Hello-World-2024-Edition",
    "./run.sh --run-id 2024-01-15T12:30:45Z --output-dir build/artifacts/release-2024",
]
CLEAN_MODEL = [
    "Set the router to 192.168.1.1, netmask 255.255.255.0, DNS 8.8.8.8 and ::1.",
    "The server starts on http://127.0.0.1:5000/ by default.",
    "Use 203.0.113.10 and 198.51.100.20 in examples; they are documentation ranges.",
    "I'm Claude, an AI assistant. My name is Claude.",
    "Isaac Newton and Albert Einstein changed physics.",
    "The White House is at 1600 Pennsylvania Avenue NW in Washington, D.C.",
    '{"street": "123 Main St", "city": "New York"}',
    "HODL means Hold On for Dear Life.",
    "Hi there! I'm happy to help.",
    "Tony Stark is Iron Man; Harry Potter is a wizard.",
    "ipv4 address 10.0.1.40 255.255.255.224",
    "Item Name: Predicador 75cl\nQuantity: 1",
    "Plugin Name: Clear Nginx Cache",
]


def clean():
    records = [record(text, note="clean") for text in CLEAN_USER]
    records += [record(text, author="model", note="clean") for text in CLEAN_MODEL]
    return records


# Written after the detectors were tuned on the cases above and scored once, unchanged since:
# how the detectors do on phrasings they were not fitted to (note "held-out").
HELD_OUT = [
    ("ping me: olga.petrova1987@yandex.ru", [("EMAIL", "olga.petrova1987@yandex.ru")]),
    ("<a href='mailto:k.tanaka@docomo.ne.jp'>mail</a>", [("EMAIL", "k.tanaka@docomo.ne.jp")]),
    ("email — m&#46;rossi&#64;libero&#46;it", [("EMAIL", "m&#46;rossi&#64;libero&#46;it")]),
    ("He wrote from `dan_o_reilly@eircom.net` again", [("EMAIL", "dan_o_reilly@eircom.net")]),
    ("mail: anna(at)kowalska(dot)pl", [("EMAIL", "anna(at)kowalska(dot)pl")]),
    (
        "Fax +1-202-555-0147 or phone (202) 555-0182",
        [("PHONE", "+1-202-555-0147"), ("PHONE", "(202) 555-0182")],
    ),
    ("我的手机是 139 1234 5678，谢谢", [("PHONE", "139 1234 5678")]),
    ("Ruf an: 0171 9876543 (Handy)", [("PHONE", "0171 9876543")]),
    ("appelez le 07 81 23 45 67 svp", [("PHONE", "07 81 23 45 67")]),
    ("UK mobile +447911123456 works on WhatsApp", [("PHONE", "+447911123456")]),
    ("call 9820012345 (my cell, Mumbai)", [("PHONE", "9820012345")]),
    ("landline 0044 20 3123 4567", [("PHONE", "0044 20 3123 4567")]),
    ("Visa 4012 8888 8888 1881 was declined", [("CREDIT_CARD", "4012 8888 8888 1881")]),
    ("amex: 3714-496353-98431", [("CREDIT_CARD", "3714-496353-98431")]),
    ("MC 5105105105105100 expired", [("CREDIT_CARD", "5105105105105100")]),
    ("IBAN GB29 NWBK 6016 1331 9268 19 for rent", [("IBAN", "GB29 NWBK 6016 1331 9268 19")]),
    ("NL91ABNA0417164300 is mine", [("IBAN", "NL91ABNA0417164300")]),
    ("iban: FR14 2004 1010 0505 0001 3M02 606", [("IBAN", "FR14 2004 1010 0505 0001 3M02 606")]),
    ("my laptop is 10.1.2.3 on the office LAN", [("IP_ADDRESS", "10.1.2.3")]),
    (
        "blocked from 2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        [("IP_ADDRESS", "2001:0db8:85a3:0000:0000:8a2e:0370:7334")],
    ),
    ("home IP: 84.17.`52`.190", [("IP_ADDRESS", "84.17.`52`.190")]),
    (
        "SECRET_KEY = 'django-insecure-8f#k2@x9!q$w7z&m3p^r5t*y1u'",
        [("SECRET", "django-insecure-8f#k2@x9!q$w7z&m3p^r5t*y1u")],
    ),
    (
        "heroku config:set --token=c2a9f7e1-55b0-4d8e-9e3a-7f6b2c1d0e9f-XkQ",
        [("SECRET", "c2a9f7e1-55b0-4d8e-9e3a-7f6b2c1d0e9f-XkQ")],
    ),
    (
        "set ANTHROPIC=sk-ant-api03-Zq8xV2mN4bL6kJ9hG3fD1sA5pO7iU0yT",
        [("SECRET", "sk-ant-api03-Zq8xV2mN4bL6kJ9hG3fD1sA5pO7iU0yT")],
    ),
    (
        "export GH=ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s99",
        [("SECRET", "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s99")],
    ),
    ("The router admin password is Kx7#pL2q, please change it", [("SECRET", "Kx7#pL2q")]),
    ("my pin is 4821", [("SECRET", "4821")]),
    ("login root / pw: Spr1ng!2025", [("SECRET", "Spr1ng!2025")]),
    ("./backup --passphrase 'Blue-Canoe-71-Quartz'", [("SECRET", "Blue-Canoe-71-Quartz")]),
    (
        "redis://:Sup3rS3cret@cache.acme.io:6379/0",
        [("URL_CREDENTIALS", "redis://:Sup3rS3cret@cache.acme.io:6379/0")],
    ),
    (
        "scp file admin:N0tS0S3cure@files.acme.io",
        [("URL_CREDENTIALS", "admin:N0tS0S3cure@files.acme.io")],
    ),
    (
        "Our flat is at 31 Crescent Road, Brighton BN2 3RA",
        [("ADDRESS", "31 Crescent Road, Brighton BN2 3RA")],
    ),
    (
        "deliver to 5000 Forbes Ave, Pittsburgh, PA 15213",
        [("ADDRESS", "5000 Forbes Ave, Pittsburgh, PA 15213")],
    ),
    (
        "Adresse: Goethestraße 20, 60313 Frankfurt",
        [("ADDRESS", "Goethestraße 20, 60313 Frankfurt")],
    ),
    ("we moved to 19 Lincoln Street last spring", [("ADDRESS", "19 Lincoln Street")]),
    ("Hello, my name is Kwame Mensah.", [("PERSON", "Kwame Mensah")]),
    ("I am Sofia Marchetti, the new tenant.", [("PERSON", "Sofia Marchetti")]),
    ("Thanks a lot,\nRobert", [("PERSON", "Robert")]),
    ("Kind regards,\nHelena Berg\nHR Department", [("PERSON", "Helena Berg")]),
    ("Dear Mr. Okonkwo,\nplease find attached...", [("PERSON", "Okonkwo")]),
    ("Hi Patricia, can you check the draft?", [("PERSON", "Patricia")]),
    ("My colleague Steven Walker keeps ignoring me", [("PERSON", "Steven Walker")]),
    ("Call me Ishmael.", [("PERSON", "Ishmael")]),
    ("This is Jorge from the billing team.", [("PERSON", "Jorge")]),
]
HELD_OUT_CLEAN = [
    "numpy 1.26.4, pandas 2.2.1, torch 2.3.0+cu121",
    "The train leaves at 07:45 from platform 9 and arrives 10:12.",
    "The answer is 4111111111111112 (not a card, fails Luhn).",
    "x = np.zeros((1024, 768)); y = x @ W + b",
    "Use --seed 42 --batch-size 32 --max-steps 10000",
    "ids: 1000234, 1000235, 1000236",
    "tracking number 1Z999AA10123456784",
    "Route 1 to 10: 12 14 16 18 20 22 24 26 28 30",
    "Temperature: 36.6 °C, pulse 72, blood pressure 120/80",
    "My favourite book is Pride and Prejudice by Jane Austen.",
]


def held_out():
    records = [
        record(text, [item(kind, value) for kind, value in pii], note="held-out")
        for text, pii in HELD_OUT
    ]
    return records + [record(text, note="held-out clean") for text in HELD_OUT_CLEAN]


def build() -> str:
    """The corpus as JSON Lines; the same text every run (the seed is fixed)."""
    rng.seed(11)
    records = emails() + phones() + cards() + ibans() + ips() + secrets()
    records += url_credentials() + addresses() + names() + mixed() + clean() + held_out()
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in records)


def main():
    corpus = build()
    OUT.write_text(corpus, encoding="utf-8")
    records = [json.loads(line) for line in corpus.splitlines()]
    instances = sum(len(r["pii"]) for r in records)
    print(f"{len(records)} texts, {instances} personal data instances -> {OUT}")


if __name__ == "__main__":
    main()
