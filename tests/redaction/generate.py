"""Prints the `generated` split of tests/redaction/corpus.jsonl: sentence
templates in five languages around values from the Faker library's
locales (phones, street addresses, e-mails, cards, IBANs, identity
numbers, IPs) and ordinary numbers (prices, dates, times, years,
percentages) that must stay. These are formats nobody on this project
wrote, so the split measures the redaction on shapes its rules were not
written from (docs/TESTING.md, BENCHMARKS.md).

    python3 -m venv /tmp/faker && /tmp/faker/bin/pip install faker==40.63.0
    /tmp/faker/bin/python tests/redaction/generate.py

Seeded: the same Faker version prints the same lines (but for the times
of day, which Faker draws up to the current time). Not part of the
build or the tests, which read the committed corpus.
"""

import json
import random
import re
import sys

from faker import Faker
random.seed(7)
LOCS = {'en_US':'en','en_GB':'en','de_DE':'de','fr_FR':'fr','es_ES':'es','it_IT':'it'}
T = {
 'en': {
  'email': ["you can reach me at {v}", "send the quote to {v} please", "my email is {v}"],
  'phone': ["call me at {v}", "my number is {v}", "{v} is my cell, text me when it ships", "reach the office on {v}"],
  'card': ["charge my card {v}", "card number {v}, expiry next year", "I paid with {v} but it failed"],
  'iban': ["refund to {v} please", "my IBAN is {v}"],
  'id': ["my SSN is {v}", "social security number {v} for the application"],
  'address': ["deliver it to {v}", "I live at {v}, is there a store nearby?", "ship to {v}"],
  'ip': ["my IP is {v} and the page won't load", "the requests come from {v}"],
  'neg': ["it costs {p} with shipping", "we fly out on {d} at {t}", "I was born in {y} and need a plan", "about {n} people will come", "is {pc} off a good deal?"],
 },
 'de': {
  'email': ["schreib mir an {v}", "meine Mail ist {v}"],
  'phone': ["ruf mich an unter {v}", "meine Nummer: {v}", "Telefon {v}", "{v} ist mein Handy"],
  'card': ["meine Karte {v} wurde abgelehnt", "Kreditkarte: {v}"],
  'iban': ["bitte auf {v} überweisen", "IBAN {v}"],
  'address': ["Lieferung an {v} bitte", "ich wohne {v}", "Adresse: {v}"],
  'ip': ["meine IP ist {v}", "Zugriffe von {v}"],
  'neg': ["kostet {p} im Angebot", "Termin am {d} um {t}", "Baujahr {y}", "ungefähr {n} Gäste", "{pc} Rabatt, lohnt sich das?"],
 },
 'fr': {
  'email': ["écrivez-moi à {v}", "mon mail est {v}"],
  'phone': ["appelez-moi au {v}", "mon numéro : {v}", "{v}, c'est mon portable"],
  'card': ["ma carte {v} est refusée", "numéro de carte {v}"],
  'iban': ["virement sur {v}", "mon IBAN : {v}"],
  'id': ["numéro de sécurité sociale {v}", "mon NIR est {v}"],
  'address': ["livrez au {v}", "j'habite {v}", "adresse : {v}"],
  'ip': ["mon IP est {v}", "connexions depuis {v}"],
  'neg': ["ça coûte {p}", "départ le {d} à {t}", "né en {y}", "environ {n} personnes", "une remise de {pc}, c'est bien ?"],
 },
 'es': {
  'email': ["escríbeme a {v}", "mi correo es {v}"],
  'phone': ["llámame al {v}", "mi número es {v}", "{v} es mi móvil"],
  'card': ["mi tarjeta {v} no pasa", "número de tarjeta {v}"],
  'iban': ["transferencia a {v}", "mi IBAN es {v}"],
  'id': ["mi DNI es {v}", "NIE {v} para el contrato"],
  'address': ["envíalo a {v}", "vivo en {v}", "dirección: {v}"],
  'ip': ["mi IP es {v}", "las visitas vienen de {v}"],
  'neg': ["cuesta {p}", "salimos el {d} a las {t}", "nací en {y}", "unas {n} personas", "un descuento del {pc}, ¿vale la pena?"],
 },
 'it': {
  'email': ["scrivimi a {v}", "la mia email è {v}"],
  'phone': ["chiamami al {v}", "il mio numero è {v}", "{v} è il mio cellulare"],
  'card': ["la mia carta {v} è stata rifiutata"],
  'iban': ["bonifico su {v}"],
  'id': ["il mio codice fiscale è {v}"],
  'address': ["spedisci a {v}", "abito in {v}"],
  'ip': ["il mio IP è {v}"],
  'neg': ["costa {p}", "partenza il {d} alle {t}", "nato nel {y}", "circa {n} persone", "uno sconto del {pc}"],
 },
}
DATE = {'en':'%m/%d/%Y','de':'%d.%m.%Y','fr':'%d/%m/%Y','es':'%d/%m/%Y','it':'%d/%m/%Y'}
SECONDARY = re.compile(r'\s+(Apt\.|Suite|Piso|Puerta|Piano|Scala|Interno)\s*\S*\s*$')
def address(f, loc):
    if loc=='en_GB':
        return f"{f.building_number()} {f.street_name()}"
    a = f.street_address().replace('\n',' ').strip()
    return SECONDARY.sub('', a).strip()
def ident(f, loc):
    if loc == 'es_ES':
        return lambda: random.choice([f.nif, f.nie])()
    return {'en_US': f.ssn, 'fr_FR': f.ssn, 'it_IT': f.ssn}.get(loc)
out=[]
for loc, lang in LOCS.items():
    f=Faker(loc); f.seed_instance(11)
    t=T[lang]
    gens = {
      'email': f.email, 'phone': f.phone_number, 'card': f.credit_card_number, 'iban': f.iban,
      'address': lambda: address(f, loc), 'ip': lambda: random.choice([f.ipv4_public(), f.ipv6()]),
    }
    idg = ident(f, loc)
    if idg and 'id' in t: gens['id'] = idg
    for kind, g in gens.items():
        n = {'phone':6,'address':5,'email':3,'card':3,'iban':2,'ip':2,'id':3}[kind]
        for _ in range(n):
            v = g()
            tpl = random.choice(t[kind])
            text = tpl.format(v=v)
            typ = 'id_number' if kind=='id' else kind
            out.append({"lang":lang,"split":"generated","text":text,"pii":[{"type":typ,"value":v}]})
    for _ in range(6):
        tpl = random.choice(t['neg'])
        vals = dict(p=f.pricetag().replace('\xa0',' '), d=f.date(DATE[lang]), t=f.time('%H:%M'), y=f.year(), n=str(random.randint(2,500)), pc=f"{random.randint(5,60)}%")
        text = tpl.format(**vals)
        keep=[vals[k] for k in re.findall(r'\{(\w+)\}', tpl)]
        out.append({"lang":lang,"split":"generated","text":text,"keep":keep})
for r in out:
    sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
