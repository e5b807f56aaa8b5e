"""Word lists of the Western-style VAT invoice (`eu_invoice`), one table per language: the labels a
page prints (meta block, parties, items table, totals, payment terms, footer), number and date
formats, VAT rates, company names, streets and towns, goods and services. Data only; the draws are
in `doctypes.invoices`. UK/IE English, German, French and Dutch, after the layouts those countries'
invoicing tools print; no real company's data."""

from __future__ import annotations

LANGS = ("en", "de", "fr", "nl")

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"],
}  # fmt: skip

# date formats: "num" (digits with the separator) or "long" (day, month's name, year)
DATE_STYLES = {
    "en": [("num", "{d:02d}/{m:02d}/{y}"), ("long", "{d} {month} {y}"), ("long", "{d} {mon} {y}")],
    "de": [("num", "{d:02d}.{m:02d}.{y}"), ("num", "{d:02d}.{m:02d}.{y}"), ("long", "{d}. {month} {y}")],
    "fr": [("num", "{d:02d}/{m:02d}/{y}"), ("num", "{d:02d}/{m:02d}/{y}"), ("long", "{d} {month} {y}")],
    "nl": [("num", "{d:02d}-{m:02d}-{y}"), ("num", "{d:02d}-{m:02d}-{y}"), ("long", "{d} {month} {y}")],
}

# (thousands separator, decimal mark): the styles each language prints amounts in
NUMBER_STYLES = {
    "en": [(",", ".")],
    "de": [(".", ","), (".", ","), ("", ",")],
    "fr": [(" ", ","), (" ", ","), ("", ",")],
    "nl": [(".", ","), (".", ","), ("", ",")],
}

# country: (language, currency code, currency symbol, VAT rates (standard first), rate format)
COUNTRIES = {
    "UK": ("en", "GBP", "£", ["20", "20", "5"], "{r}%"),
    "IE": ("en", "EUR", "€", ["23", "23", "13.5"], "{r}%"),
    "DE": ("de", "EUR", "€", ["19", "19", "7"], "{r} %"),
    "AT": ("de", "EUR", "€", ["20", "20", "10"], "{r} %"),
    "FR": ("fr", "EUR", "€", ["20", "20", "10", "5,5"], "{r} %"),
    "BE": ("fr", "EUR", "€", ["21", "21", "6"], "{r} %"),
    "NL": ("nl", "EUR", "€", ["21", "21", "9"], "{r}%"),
}
PHONE_CODE = {"UK": "44", "IE": "353", "DE": "49", "AT": "43", "FR": "33", "BE": "32", "NL": "31"}
TLD = {"UK": "co.uk", "IE": "ie", "DE": "de", "AT": "at", "FR": "fr", "BE": "be", "NL": "nl"}
COUNTRIES_OF = {lang: [c for c, v in COUNTRIES.items() if v[0] == lang] for lang in LANGS}

W: dict[str, dict[str, list[str]]] = {
    "en": {
        "title": ["INVOICE", "Invoice", "TAX INVOICE", "VAT INVOICE", "Sales Invoice"],
        "invoice_no": ["Invoice No.", "Invoice Number", "Invoice #", "Invoice no:"],
        "invoice_date": ["Invoice Date", "Date", "Date of issue", "Tax Point / Invoice Date"],
        "delivery_date": ["Delivery Date", "Supply Date", "Date of supply"],
        "due_date": ["Due Date", "Payment Due", "Due by"],
        "customer_no": ["Customer No.", "Account No.", "Customer ID"],
        "order_ref": ["Your Ref.", "PO Number", "Order Ref.", "Purchase Order"],
        "buyer": ["Bill to", "BILL TO", "Invoice to", "Customer", "Billed to"],
        "seller": ["From", "Supplier", "Seller"],
        "col_desc": ["Description", "Item", "Description of goods/services"],
        "col_qty": ["Qty", "Quantity", "Qty."],
        "col_unit": ["Unit", "UoM"],
        "col_price": ["Unit Price", "Rate", "Price"],
        "col_vat": ["VAT %", "VAT", "VAT Rate"],
        "col_amount": ["Amount", "Net Amount", "Total"],
        "net": ["Subtotal", "Net Total", "Total excl. VAT", "Net amount"],
        "vat_line": ["VAT {rate}", "VAT @ {rate}", "VAT ({rate})"],
        "gross": ["Total due", "TOTAL", "Total incl. VAT", "Amount due", "Invoice Total"],
        "currency": ["Currency"],
        "terms": ["Payment terms: {days} days net.", "Please pay within {days} days of the invoice date.",
                  "Payment is due within {days} days."],
        "pay_by": ["Please pay by {due}.", "Payment due by {due}."],
        "bank": ["Bank details", "Payment details", "Please pay to"],
        "iban": ["IBAN"],
        "bic": ["BIC", "SWIFT/BIC", "BIC/SWIFT"],
        "vat_id": ["VAT Reg. No.", "VAT No.", "VAT Registration No."],
        "buyer_vat": ["Customer VAT No.", "Your VAT No."],
        "thanks": ["Thank you for your business.", "Thank you for your custom!", ""],
        "page": ["Page 1 of 1", "Page 1/1", ""],
        "tel": ["Tel", "Phone", "T"],
        "email": ["Email", "E"],
    },
    "de": {
        "title": ["RECHNUNG", "Rechnung"],
        "invoice_no": ["Rechnungsnummer", "Rechnungs-Nr.", "Rechnungsnr.", "Rechnung Nr."],
        "invoice_date": ["Rechnungsdatum", "Datum"],
        "delivery_date": ["Lieferdatum", "Leistungsdatum", "Liefer-/Leistungsdatum"],
        "due_date": ["Fällig am", "Fälligkeitsdatum", "Zahlbar bis"],
        "customer_no": ["Kundennummer", "Kunden-Nr.", "Kd.-Nr."],
        "order_ref": ["Ihre Bestellung", "Auftragsnummer", "Bestell-Nr.", "Ihr Zeichen"],
        "buyer": ["Rechnungsempfänger", "Rechnungsadresse", "Kunde", ""],
        "seller": ["Lieferant", "Rechnungssteller", ""],
        "col_desc": ["Bezeichnung", "Beschreibung", "Artikel / Leistung", "Leistung"],
        "col_qty": ["Menge", "Anz.", "Anzahl"],
        "col_unit": ["Einheit", "ME"],
        "col_price": ["Einzelpreis", "E-Preis", "Preis/Einheit"],
        "col_vat": ["MwSt.", "USt.", "MwSt.-Satz"],
        "col_amount": ["Gesamtpreis", "Betrag", "Summe", "Gesamt"],
        "net": ["Nettobetrag", "Summe netto", "Zwischensumme", "Gesamt netto", "Rechnungsbetrag netto"],
        "vat_line": ["zzgl. {rate} MwSt.", "MwSt. {rate}", "zzgl. {rate} USt.", "Umsatzsteuer {rate}"],
        "gross": ["Gesamtbetrag", "Rechnungsbetrag", "Gesamtbetrag brutto", "Zu zahlen", "Endbetrag"],
        "currency": ["Währung"],
        "terms": ["Zahlbar innerhalb von {days} Tagen ohne Abzug.", "Zahlungsziel: {days} Tage netto.",
                  "Bitte überweisen Sie den Betrag innerhalb von {days} Tagen."],
        "pay_by": ["Bitte überweisen Sie den Rechnungsbetrag bis zum {due}.", "Zahlbar bis {due} ohne Abzug."],
        "bank": ["Bankverbindung", "Bankverbindung:", "Zahlung an"],
        "iban": ["IBAN"],
        "bic": ["BIC", "BIC/SWIFT"],
        "vat_id": ["USt-IdNr.", "USt.-ID", "Umsatzsteuer-ID"],
        "buyer_vat": ["Ihre USt-IdNr.", "USt-IdNr. Kunde"],
        "thanks": ["Vielen Dank für Ihren Auftrag!", "Wir danken für Ihren Auftrag.", ""],
        "page": ["Seite 1 von 1", "Seite 1/1", ""],
        "tel": ["Tel.", "Telefon", "Fon"],
        "email": ["E-Mail", "Mail"],
    },
    "fr": {
        "title": ["FACTURE", "Facture"],
        "invoice_no": ["N° de facture", "Facture n°", "Numéro de facture", "N° facture"],
        "invoice_date": ["Date de facture", "Date", "Date d'émission", "Date de facturation"],
        "delivery_date": ["Date de livraison", "Date de prestation", "Date de vente"],
        "due_date": ["Échéance", "Date d'échéance", "À régler avant le"],
        "customer_no": ["N° client", "Code client", "Réf. client"],
        "order_ref": ["Votre commande", "Réf. commande", "N° de commande", "Bon de commande"],
        "buyer": ["Client", "Facturé à", "Adresse de facturation", "Destinataire"],
        "seller": ["Émetteur", "Vendeur", "Fournisseur", ""],
        "col_desc": ["Désignation", "Description", "Libellé"],
        "col_qty": ["Qté", "Quantité"],
        "col_unit": ["Unité", "U."],
        "col_price": ["Prix unitaire HT", "P.U. HT", "Prix U. HT"],
        "col_vat": ["TVA", "Taux TVA", "TVA %"],
        "col_amount": ["Montant HT", "Total HT", "Montant"],
        "net": ["Total HT", "Montant HT", "Sous-total HT", "Total hors taxes"],
        "vat_line": ["TVA {rate}", "TVA ({rate})", "Montant TVA {rate}"],
        "gross": ["Total TTC", "Net à payer", "Montant TTC", "TOTAL TTC", "Total à payer"],
        "currency": ["Devise"],
        "terms": ["Paiement à {days} jours.", "Conditions de paiement : {days} jours net.",
                  "Règlement à {days} jours date de facture."],
        "pay_by": ["Date limite de paiement : {due}.", "À régler avant le {due}."],
        "bank": ["Coordonnées bancaires", "Règlement par virement", "RIB"],
        "iban": ["IBAN"],
        "bic": ["BIC"],
        "vat_id": ["N° TVA intracommunautaire", "TVA intracom.", "N° TVA"],
        "buyer_vat": ["TVA client", "N° TVA client"],
        "thanks": ["Merci de votre confiance.", "En cas de retard de paiement, une indemnité forfaitaire "
                   "de 40 € pour frais de recouvrement sera exigée.", ""],
        "page": ["Page 1/1", "Page 1 sur 1", ""],
        "tel": ["Tél.", "Tél", "Téléphone"],
        "email": ["E-mail", "Courriel"],
    },
    "nl": {
        "title": ["FACTUUR", "Factuur"],
        "invoice_no": ["Factuurnummer", "Factuurnr.", "Factuur nr."],
        "invoice_date": ["Factuurdatum", "Datum"],
        "delivery_date": ["Leverdatum", "Leveringsdatum"],
        "due_date": ["Vervaldatum", "Uiterste betaaldatum", "Te betalen voor"],
        "customer_no": ["Klantnummer", "Debiteurnummer", "Klantnr."],
        "order_ref": ["Uw referentie", "Ordernummer", "Uw kenmerk"],
        "buyer": ["Factuuradres", "Klant", "Aan", ""],
        "seller": ["Leverancier", "Van", ""],
        "col_desc": ["Omschrijving", "Artikel", "Beschrijving"],
        "col_qty": ["Aantal", "Aant."],
        "col_unit": ["Eenheid"],
        "col_price": ["Prijs", "Stukprijs", "Prijs per eenheid"],
        "col_vat": ["BTW", "BTW %", "BTW-tarief"],
        "col_amount": ["Bedrag", "Totaal", "Bedrag excl. BTW"],
        "net": ["Subtotaal", "Totaal excl. BTW", "Subtotaal excl. btw", "Netto bedrag"],
        "vat_line": ["BTW {rate}", "{rate} BTW", "btw {rate}"],
        "gross": ["Totaal", "Totaal incl. BTW", "Te betalen", "TOTAAL", "Totaalbedrag"],
        "currency": ["Valuta"],
        "terms": ["Betaling binnen {days} dagen na factuurdatum.", "Betalingstermijn: {days} dagen.",
                  "Gelieve binnen {days} dagen te betalen."],
        "pay_by": ["Gelieve het bedrag vóór {due} over te maken.", "Te betalen vóór {due}."],
        "bank": ["Bankgegevens", "Betaalgegevens"],
        "iban": ["IBAN"],
        "bic": ["BIC"],
        "vat_id": ["BTW-nummer", "BTW-nr.", "BTW-id"],
        "buyer_vat": ["BTW-nummer klant", "Uw BTW-nr."],
        "thanks": ["Bedankt voor uw bestelling!", "Wij danken u voor uw opdracht.", ""],
        "page": ["Pagina 1 van 1", "Pagina 1/1", ""],
        "tel": ["Tel.", "Telefoon", "T"],
        "email": ["E-mail", "E"],
    },
}  # fmt: skip

# legal forms of companies per country, and the registration line of the footer ({n}: digits)
LEGAL_FORMS = {
    "UK": ["Ltd", "Limited", "Ltd.", "PLC", "LLP"],
    "IE": ["Ltd", "Limited", "DAC", "Teoranta"],
    "DE": ["GmbH", "GmbH", "GmbH & Co. KG", "AG", "UG (haftungsbeschränkt)", "e.K.", "OHG"],
    "AT": ["GmbH", "GmbH", "KG", "AG", "e.U."],
    "FR": ["SARL", "SAS", "SA", "SASU", "EURL"],
    "BE": ["SRL", "SA", "SPRL", "SC"],
    "NL": ["B.V.", "B.V.", "V.O.F.", "N.V.", "BV"],
}
REGISTRATION = {
    "UK": ["Registered in England and Wales No. {n8}", "Company No. {n8}", "Registered office: {addr}"],
    "IE": ["Registered in Ireland No. {n6}", "Company Reg. No. {n6}", "CRO No. {n6}"],
    "DE": ["Amtsgericht {court} HRB {n6}", "Registergericht: Amtsgericht {court}, HRB {n5}",
           "Handelsregister: HRB {n5}, AG {court}"],
    "AT": ["Firmenbuch FN {n6}a, Handelsgericht {court}", "FN {n6}x, {court}"],
    "FR": ["RCS {court} {siren}", "SIREN {siren}", "SIRET {siren} {n5}"],
    "BE": ["RPM {court} {n10}", "BCE {n10}"],
    "NL": ["KvK {n8}", "KvK-nummer {n8}", "Handelsregister KvK {n8}"],
}  # fmt: skip
COURTS = {
    "DE": ["München", "Berlin-Charlottenburg", "Hamburg", "Köln", "Frankfurt am Main", "Stuttgart", "Düsseldorf"],
    "AT": ["Wien", "Graz", "Linz"],
    "FR": ["Paris", "Lyon", "Marseille", "Nanterre", "Bordeaux", "Lille Métropole"],
    "BE": ["Bruxelles", "Liège", "Namur"],
    "UK": [""], "IE": [""], "NL": [""],
}  # fmt: skip
MANAGER = {"DE": "Geschäftsführer", "AT": "Geschäftsführer", "FR": "Gérant", "BE": "Gérant",
           "NL": "Directeur", "UK": "Director", "IE": "Director"}  # fmt: skip
# VAT ID formats ({n9}: nine digits)
VAT_ID = {
    "UK": ["GB{n9}", "GB {n3} {n4} {n2}"],
    "IE": ["IE{n7}{L}", "IE {n7}{L}"],
    "DE": ["DE{n9}", "DE {n9}"],
    "AT": ["ATU{n8}"],
    "FR": ["FR{n2}{siren_compact}", "FR {n2} {siren}"],
    "BE": ["BE0{n9}", "BE 0{n3}.{n3}.{n3}"],
    "NL": ["NL{n9}B01", "NL{n9}B02"],
}
# IBAN: country code and the length of the part after the check digits
IBAN = {"UK": ("GB", "BANK", 14), "IE": ("IE", "BANK", 14), "DE": ("DE", "", 18), "AT": ("AT", "", 16),
        "FR": ("FR", "", 23), "BE": ("BE", "", 12), "NL": ("NL", "BANK", 10)}  # fmt: skip
BANK_CODES = {"UK": ["NWBK", "BARC", "LOYD", "HBUK", "MIDL"], "IE": ["AIBK", "BOFI", "IPBS"],
              "NL": ["ABNA", "INGB", "RABO", "TRIO", "SNSB"]}  # fmt: skip
BICS = {
    "UK": ["NWBKGB2L", "BARCGB22", "LOYDGB21", "HBUKGB4B"],
    "IE": ["AIBKIE2D", "BOFIIE2D", "IPBSIE2D"],
    "DE": ["COBADEFFXXX", "DEUTDEFF", "GENODEF1M01", "BYLADEM1001", "HYVEDEMMXXX"],
    "AT": ["BKAUATWW", "RZBAATWW", "GIBAATWWXXX"],
    "FR": ["BNPAFRPPXXX", "SOGEFRPP", "CRLYFRPP", "AGRIFRPP882"],
    "BE": ["GEBABEBB", "BBRUBEBB", "KREDBEBB"],
    "NL": ["ABNANL2A", "INGBNL2A", "RABONL2U", "TRIONL2U"],
}

# company names: (first parts, second parts); a name is one of each, or a surname and a trade
COMPANY_PARTS = {
    "en": (["Northbridge", "Kestrel", "Harbourside", "Greenfield", "Ashford", "Blue Anchor", "Oakridge",
            "Castlegate", "Riverside", "Brightwell", "Thornbury", "Summit", "Wexford", "Liffey", "Atlantic"],
           ["Consulting", "Software", "Print & Design", "Facilities Management", "Engineering", "Logistics",
            "Office Supplies", "Catering", "Electrical Services", "Digital", "Joinery", "Solutions"]),
    "de": (["Müller", "Schneider", "Becker", "Hoffmann", "Weber", "Schäfer", "Krüger", "Nordlicht",
            "Alpen", "Rheintal", "Hansa", "Isar", "Elbe", "Sonnenberg", "Lindner"],
           ["Haustechnik", "Bürobedarf", "Elektro", "IT-Service", "Druckerei", "Logistik", "Consulting",
            "Gebäudereinigung", "Metallbau", "Werbeagentur", "Softwareentwicklung", "Malerbetrieb"]),
    "fr": (["Durand", "Lefèvre", "Moreau", "Garnier", "Atlantique", "Provence", "Loire", "Bellevue",
            "Mistral", "Boréal", "Saint-Michel", "Lumière", "Azur", "Vauban", "Rivoli"],
           ["Informatique", "Conseil", "Bâtiment", "Imprimerie", "Transports", "Nettoyage",
            "Électricité", "Bureautique", "Communication", "Menuiserie", "Services", "Logistique"]),
    "nl": (["De Vries", "Jansen", "Bakker", "Visser", "Smit", "Mulder", "Noorderlicht", "Polder",
            "Amstel", "Zeeland", "Oranje", "Vecht", "Dijkstra", "Hollands", "Maas"],
           ["Installatietechniek", "ICT Diensten", "Drukkerij", "Transport", "Advies", "Schoonmaak",
            "Bouw", "Kantoorartikelen", "Webdesign", "Elektrotechniek", "Logistiek", "Catering"]),
}  # fmt: skip
FIRST_NAMES = {
    "en": ["James", "Sarah", "Michael", "Emma", "David", "Aoife", "Sean", "Claire", "Thomas", "Olivia"],
    "de": ["Thomas", "Anna", "Michael", "Julia", "Stefan", "Katrin", "Andreas", "Sabine", "Lukas", "Laura"],
    "fr": ["Jean", "Marie", "Pierre", "Sophie", "Nicolas", "Camille", "Julien", "Claire", "Antoine", "Léa"],
    "nl": ["Jan", "Sanne", "Pieter", "Lotte", "Daan", "Eva", "Bram", "Femke", "Thijs", "Anouk"],
}
LAST_NAMES = {
    "en": ["Smith", "Murphy", "Jones", "O'Brien", "Taylor", "Walsh", "Brown", "Kelly", "Wilson", "Byrne"],
    "de": ["Müller", "Schmidt", "Fischer", "Wagner", "Becker", "Schulz", "Koch", "Richter", "Wolf", "Klein"],
    "fr": ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Richard", "Durand", "Leroy", "Roux"],
    "nl": ["de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
           "Mulder"],
}  # fmt: skip

# streets ({n}: house number) and towns with their postcode patterns (9: digit, A: letter)
STREETS = {
    "UK": ["{n} High Street", "{n} Station Road", "{n} Church Lane", "Unit {n}, Riverside Park",
           "{n} Victoria Road", "{n} King Street", "{n} Mill Lane"],
    "IE": ["{n} Main Street", "{n} O'Connell Street", "Unit {n}, Parkwest Business Park", "{n} Dame Street",
           "{n} Patrick Street"],
    "DE": ["Hauptstraße {n}", "Bahnhofstraße {n}", "Industriestraße {n}", "Lindenallee {n}",
           "Gartenweg {n}", "Schillerstraße {n}", "Am Markt {n}"],
    "AT": ["Hauptplatz {n}", "Mariahilfer Straße {n}", "Landstraße {n}", "Bahnhofstraße {n}"],
    "FR": ["{n} rue de la République", "{n} avenue Jean Jaurès", "{n} boulevard Victor Hugo",
           "{n} rue des Lilas", "{n} place du Marché", "{n} rue Pasteur"],
    "BE": ["Rue de la Loi {n}", "Avenue Louise {n}", "Chaussée de Namur {n}", "Rue Neuve {n}"],
    "NL": ["Kerkstraat {n}", "Stationsweg {n}", "Industrieweg {n}", "Dorpsstraat {n}", "Keizersgracht {n}",
           "Molenweg {n}"],
}  # fmt: skip
TOWNS = {
    "UK": [("London", "SW1A 9AA"), ("Manchester", "M1 9AA"), ("Leeds", "LS1 9AA"), ("Bristol", "BS1 9AA"),
           ("Birmingham", "B1 9AA"), ("Reading", "RG1 9AA")],
    "IE": [("Dublin 2", "D02 A9A9"), ("Cork", "T12 A9A9"), ("Galway", "H91 A9A9"), ("Limerick", "V94 A9A9")],
    "DE": [("Berlin", "10999"), ("München", "80999"), ("Hamburg", "20999"), ("Köln", "50999"),
           ("Leipzig", "04999"), ("Stuttgart", "70999"), ("Frankfurt am Main", "60999")],
    "AT": [("Wien", "1999"), ("Graz", "8999"), ("Linz", "4999")],
    "FR": [("Paris", "75099"), ("Lyon", "69099"), ("Marseille", "13099"), ("Nantes", "44099"),
           ("Toulouse", "31099"), ("Lille", "59099")],
    "BE": [("Bruxelles", "1999"), ("Liège", "4999"), ("Namur", "5999")],
    "NL": [("Amsterdam", "1099 AA"), ("Rotterdam", "3099 AA"), ("Utrecht", "3599 AA"),
           ("Eindhoven", "5699 AA"), ("Den Haag", "2599 AA")],
}  # fmt: skip
# UK/IE print the town and the postcode on lines of their own; the others "postcode town"
POSTCODE_FIRST = {"DE", "AT", "FR", "BE", "NL"}

# goods and services: (description, unit, low price, high price, quantity kind: "int", "hours", "one")
ITEMS = {
    "en": [("Consulting services", "hrs", 60, 180, "hours"), ("Website maintenance (monthly)", "month", 150, 900, "one"),
           ("A4 copier paper, 80gsm (box of 5 reams)", "box", 18, 32, "int"), ("Toner cartridge HP 26A", "pcs", 55, 120, "int"),
           ("Installation and commissioning", "job", 250, 1500, "one"), ("Software licence, annual", "pcs", 90, 600, "int"),
           ("Office chair, ergonomic", "pcs", 120, 450, "int"), ("Delivery charge", "", 8, 45, "one"),
           ("Electrical inspection", "hrs", 45, 95, "hours"), ("Catering for 20 people", "event", 300, 900, "one")],
    "de": [("Beratungsleistung", "Std.", 80, 160, "hours"), ("Wartung Heizungsanlage", "pauschal", 120, 480, "one"),
           ("Kopierpapier A4, 80 g/m², 500 Blatt", "Pck.", 4, 9, "int"), ("Tonerkartusche schwarz", "Stk.", 45, 140, "int"),
           ("Montage und Inbetriebnahme", "Std.", 55, 95, "hours"), ("Softwarelizenz (12 Monate)", "Stk.", 90, 700, "int"),
           ("Bürostuhl ergonomisch", "Stk.", 150, 480, "int"), ("Versandkosten", "pauschal", 5, 25, "one"),
           ("Anfahrtspauschale", "pauschal", 20, 60, "one"), ("Druck Visitenkarten, 500 Stück", "Stk.", 30, 90, "int")],
    "fr": [("Prestation de conseil", "h", 70, 180, "hours"), ("Maintenance informatique mensuelle", "forfait", 150, 800, "one"),
           ("Ramette papier A4 80 g", "u", 4, 9, "int"), ("Cartouche d'encre noire", "u", 25, 90, "int"),
           ("Main d'œuvre", "h", 40, 75, "hours"), ("Licence logiciel annuelle", "u", 90, 600, "int"),
           ("Fauteuil de bureau", "u", 120, 450, "int"), ("Frais de livraison", "forfait", 6, 30, "one"),
           ("Déplacement", "forfait", 30, 90, "one"), ("Impression flyers A5 (1000 ex.)", "lot", 60, 180, "int")],
    "nl": [("Advieswerkzaamheden", "uur", 65, 150, "hours"), ("Onderhoud website (maand)", "mnd", 100, 700, "one"),
           ("Kopieerpapier A4 80 gr (doos)", "doos", 18, 35, "int"), ("Tonercartridge zwart", "st.", 40, 130, "int"),
           ("Installatiewerkzaamheden", "uur", 45, 85, "hours"), ("Softwarelicentie (jaar)", "st.", 90, 600, "int"),
           ("Bureaustoel", "st.", 110, 420, "int"), ("Verzendkosten", "", 5, 25, "one"),
           ("Voorrijkosten", "", 25, 60, "one"), ("Drukwerk visitekaartjes (500 st.)", "st.", 25, 80, "int")],
}  # fmt: skip
