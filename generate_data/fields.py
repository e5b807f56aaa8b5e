"""Field concepts: the names (Chinese and English aliases) a user may ask a field by, and the
natural-language questions that ask for it. Document types map their printed fields to a concept;
queries draw names from here, and fields of concepts a type lacks become null queries."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Concept:
    zh: tuple[str, ...]
    en: tuple[str, ...]
    q_zh: tuple[str, ...] = ()
    q_en: tuple[str, ...] = ()
    items: bool = False


def C(zh, en, q_zh=(), q_en=(), items=False) -> Concept:
    return Concept(tuple(zh), tuple(en), tuple(q_zh), tuple(q_en), items)


CONCEPTS: dict[str, Concept] = {
    "invoice_code": C(["发票代码"], ["invoice code"], ["发票代码是多少？"], ["What is the invoice code?"]),
    "invoice_no": C(
        ["发票号码", "发票号", "票据号码", "单号"],
        ["invoice number", "invoice no", "receipt number", "bill no"],
        ["这张发票的号码是多少？", "票号是多少？"],
        ["What is the invoice number?", "What is the receipt number?"],
    ),
    "date": C(
        ["开票日期", "日期", "开具日期", "交易日期", "消费日期"],
        ["date", "invoice date", "issue date", "receipt date", "transaction date", "purchase date"],
        ["这张发票是哪天开的？", "这张票据是什么日期的？"],
        ["When was this issued?", "What date is on this document?", "What is the date on the receipt?"],
    ),
    "time": C(
        ["时间", "交易时间"], ["time", "transaction time"], ["几点付款的？"], ["What time was the purchase?"]
    ),
    "check_code": C(["校验码"], ["check code", "verification code"]),
    "machine_no": C(["机器编号"], ["machine number"]),
    "buyer_name": C(
        ["购买方名称", "购方名称", "买方名称", "购货单位"],
        ["buyer name", "buyer", "purchaser"],
        ["买方是谁？", "这张发票开给哪家公司？"],
        ["Who is the buyer?"],
    ),
    "buyer_tax_id": C(
        ["购买方纳税人识别号", "购方税号", "购买方统一社会信用代码"], ["buyer tax id", "buyer taxpayer id"]
    ),
    "buyer_addr_tel": C(["购买方地址电话", "购买方地址、电话"], ["buyer address and phone"]),
    "buyer_bank": C(["购买方开户行及账号", "购方开户行"], ["buyer bank account"]),
    "seller_name": C(
        ["销售方名称", "销方名称", "卖方名称", "商户名称", "开票单位", "商户", "商家", "店名", "商店名称"],
        [
            "seller name",
            "seller",
            "vendor",
            "company",
            "store name",
            "merchant",
            "store",
            "shop",
            "shop name",
            "merchant name",
            "vendor name",
        ],
        ["卖方是谁？", "这是哪家店？"],
        [
            "Who is the seller?",
            "Which company issued this?",
            "What is the company name?",
            "Which shop is this receipt from?",
        ],
    ),
    "seller_tax_id": C(["销售方纳税人识别号", "销方税号"], ["seller tax id", "seller taxpayer id"]),
    "seller_addr_tel": C(["销售方地址电话", "销售方地址、电话"], ["seller address and phone"]),
    "seller_bank": C(["销售方开户行及账号", "销方开户行"], ["seller bank account"]),
    "address": C(
        ["地址", "门店地址", "商户地址", "店铺地址", "公司地址"],
        ["address", "store address", "shop address", "company address"],
        ["店铺地址在哪里？"],
        ["Where is the shop?", "What is the shop's address?"],
    ),
    "phone": C(["电话", "联系电话"], ["phone", "telephone", "tel"]),
    "registration_no": C(["公司注册号"], ["registration no", "company registration number", "co. reg. no"]),
    "gst_id": C(
        ["GST登记号", "SST登记号"],
        ["GST ID", "GST reg no", "GST number", "SST ID", "tax registration number"],
    ),
    "subtotal": C(
        ["合计金额", "金额", "不含税金额", "小计"],
        ["subtotal", "amount excluding tax", "net amount"],
        ["不含税金额是多少？"],
        ["What is the subtotal?"],
    ),
    "tax_amount": C(
        ["合计税额", "税额", "税金"],
        ["tax", "tax amount", "GST amount"],
        ["税额是多少？"],
        ["How much tax was charged?"],
    ),
    "tax_rate": C(["税率"], ["tax rate"]),
    "total": C(
        ["价税合计", "价税合计（小写）", "总金额", "合计", "应付金额", "总价", "应付总额"],
        ["total", "amount due", "grand total", "total amount", "total (RM)", "nett total", "total payable"],
        ["一共多少钱？", "总金额是多少？"],
        [
            "What is the total?",
            "How much was paid in total?",
            "What is the total amount?",
            "How much is the grand total?",
        ],
    ),
    "total_upper": C(["价税合计（大写）", "大写金额", "金额大写"], ["total in words"]),
    "rounding": C(["舍入金额", "抹零"], ["rounding", "rounding adjustment"]),
    "cash": C(["现金", "实收", "实收金额"], ["cash", "cash tendered", "amount paid"]),
    "change": C(
        ["找零", "找零金额"], ["change", "change due"], ["找零多少？"], ["How much change was given?"]
    ),
    "cashier": C(["收银员", "收款员"], ["cashier"]),
    "payment_method": C(["支付方式", "付款方式"], ["payment method", "paid by"]),
    "item_count": C(["商品件数", "件数"], ["item count", "number of items"]),
    # Names the LLM stage's parser treats as list fields (llm_stage.parsing.is_list_field); no
    # questions, since a question's key "answer" is a plain string.
    "items": C(["货物明细", "商品明细", "明细"], ["line items", "items", "line item list"], items=True),
    # 火车票
    "train_no": C(["车次"], ["train number"], ["这是哪趟车？"], ["Which train is this?"]),
    "from_station": C(
        ["出发站", "始发站"], ["departure station", "from"], ["从哪里出发？"], ["Where does the trip start?"]
    ),
    "to_station": C(
        ["到达站", "终点站"],
        ["arrival station", "to", "destination"],
        ["到哪里？"],
        ["Where does the trip end?"],
    ),
    "departure_time": C(
        ["发车时间", "乘车日期"], ["departure time"], ["几点发车？"], ["When does the train leave?"]
    ),
    "seat": C(["座位号", "车厢座位"], ["seat", "seat number"]),
    "seat_class": C(["席别", "座位等级"], ["seat class"]),
    "fare": C(["票价"], ["fare", "ticket price"], ["票价多少？"], ["How much was the ticket?"]),
    "passenger_name": C(["乘客姓名", "旅客姓名"], ["passenger name", "passenger"]),
    "id_masked": C(["证件号码"], ["id number on ticket"]),
    "ticket_no": C(["票号", "电子客票号"], ["ticket number"]),
    # 出租车发票
    "plate_no": C(
        ["车号", "车牌号"],
        ["plate number", "license plate"],
        ["车牌号是多少？"],
        ["What is the taxi's plate number?"],
    ),
    "board_time": C(["上车时间"], ["pick-up time"]),
    "alight_time": C(["下车时间"], ["drop-off time"]),
    "unit_price": C(["单价"], ["unit price", "price per km"]),
    "distance": C(["里程"], ["distance", "mileage"], ["坐了多少公里？"], ["How far was the ride?"]),
    "waiting_time": C(["等候时间"], ["waiting time"]),
    # 证书 / 证件
    "recipient": C(
        ["获奖者", "获奖人"], ["awardee", "recipient"], ["谁获奖了？"], ["Who received the award?"]
    ),
    "award_name": C(["奖项", "获奖等级"], ["award", "prize"], ["获得了什么奖？"], ["What award was given?"]),
    "competition": C(["比赛名称", "赛事名称"], ["competition", "contest"]),
    "issuer": C(["颁发单位", "发证单位", "主办单位"], ["issuer", "issued by", "awarding body"]),
    "certificate_no": C(["证书编号"], ["certificate number"]),
    "name": C(["姓名"], ["name", "full name"], ["这个人叫什么名字？"], ["What is the person's name?"]),
    "sex": C(["性别"], ["sex", "gender"]),
    "ethnicity": C(["民族"], ["ethnicity"]),
    "birth_date": C(
        ["出生", "出生日期"],
        ["date of birth", "birth date"],
        ["出生日期是哪天？"],
        ["When was this person born?"],
    ),
    "id_number": C(["公民身份号码", "身份证号码", "身份证号"], ["ID number", "identity card number"]),
    "domicile": C(["住址", "户籍地址"], ["residential address"]),
    # 营业执照
    "uscc": C(
        ["统一社会信用代码", "信用代码"],
        ["unified social credit code", "USCC"],
        ["统一社会信用代码是多少？"],
        ["What is the company's credit code?"],
    ),
    "company_name": C(
        ["名称", "企业名称", "公司名称"],
        ["company name", "business name"],
        ["这家公司叫什么？"],
        ["What is the company called?"],
    ),
    "company_type": C(["类型", "企业类型"], ["company type", "entity type"]),
    "legal_rep": C(
        ["法定代表人", "法人"],
        ["legal representative"],
        ["法定代表人是谁？"],
        ["Who is the legal representative?"],
    ),
    "capital": C(
        ["注册资本"], ["registered capital"], ["注册资本多少？"], ["How much is the registered capital?"]
    ),
    "established": C(["成立日期"], ["date of establishment", "founded"]),
    "business_term": C(["营业期限"], ["business term"]),
    "business_address": C(["住所", "注册地址"], ["registered address"]),
    "registration_authority": C(["登记机关"], ["registration authority"]),
    # 银行回单
    "payer_name": C(
        ["付款人户名", "付款人", "付款方"], ["payer", "payer name"], ["谁付的款？"], ["Who paid?"]
    ),
    "payer_account": C(["付款人账号", "付款账号"], ["payer account"]),
    "payer_bank": C(["付款人开户行", "付款行"], ["payer bank"]),
    "payee_name": C(
        ["收款人户名", "收款人", "收款方"],
        ["payee", "payee name", "beneficiary"],
        ["钱付给了谁？"],
        ["Who received the money?"],
    ),
    "payee_account": C(["收款人账号", "收款账号"], ["payee account"]),
    "payee_bank": C(["收款人开户行", "收款行"], ["payee bank"]),
    "transfer_amount": C(
        ["金额（小写）", "转账金额", "交易金额"],
        ["transfer amount", "amount transferred"],
        ["转了多少钱？"],
        ["How much was transferred?"],
    ),
    "amount_upper": C(["金额（大写）"], ["amount in words"]),
    "serial_no": C(["流水号", "交易流水号", "回单编号"], ["transaction serial number", "reference number"]),
    "purpose": C(["用途", "摘要", "附言"], ["purpose", "memo"]),
    # 医疗门诊收费票据
    "patient_name": C(
        ["患者姓名", "病人姓名"], ["patient name", "patient"], ["病人叫什么？"], ["Who is the patient?"]
    ),
    "hospital": C(
        ["医院名称", "收款单位", "医疗机构"],
        ["hospital", "clinic"],
        ["在哪家医院看的病？"],
        ["Which hospital issued this?"],
    ),
    "department": C(["科室", "就诊科室"], ["department"]),
    "medical_insurance_type": C(["医保类型", "医疗保险类型"], ["insurance type"]),
    "insurance_paid": C(["医保统筹支付", "统筹支付"], ["insurance paid"]),
    "self_paid": C(["个人自付", "个人支付"], ["patient paid", "out-of-pocket amount"]),
    "visit_no": C(["门诊号", "业务流水号"], ["outpatient number", "visit number"]),
    # 快递面单
    "tracking_no": C(
        ["运单号", "快递单号"],
        ["tracking number", "waybill number"],
        ["快递单号是多少？"],
        ["What is the tracking number?"],
    ),
    "carrier": C(["快递公司", "承运商"], ["carrier", "courier"]),
    "sender_name": C(
        ["寄件人", "寄件人姓名"], ["sender", "sender name"], ["谁寄的？"], ["Who sent the parcel?"]
    ),
    "sender_phone": C(["寄件人电话"], ["sender phone"]),
    "sender_address": C(["寄件人地址", "寄件地址"], ["sender address"]),
    "receiver_name": C(
        ["收件人", "收件人姓名"],
        ["receiver", "recipient name", "consignee"],
        ["寄给谁的？"],
        ["Who is the parcel for?"],
    ),
    "receiver_phone": C(["收件人电话"], ["receiver phone"]),
    "receiver_address": C(
        ["收件人地址", "收货地址"],
        ["receiver address", "delivery address"],
        ["寄到哪里？"],
        ["Where is the parcel going?"],
    ),
    "weight": C(["重量", "计费重量"], ["weight"]),
    "sort_code": C(["分拣码", "大头笔"], ["sort code"]),
    # English commercial invoice
    "shipper": C(["发货人", "出口商"], ["shipper", "exporter"]),
    "consignee_addr": C(["收货人地址"], ["consignee address"]),
    "incoterms": C(["贸易术语"], ["incoterms", "terms of delivery"]),
    "currency": C(["币种"], ["currency"]),
    "po_no": C(["订单号", "采购订单号"], ["PO number", "purchase order"]),
    "freight": C(["运费"], ["freight", "shipping cost"]),
    "country_of_origin": C(["原产国"], ["country of origin"]),
    # Western-style VAT invoice
    "due_date": C(
        ["付款截止日期", "到期日"],
        ["due date", "payment due date", "payment due"],
        ["这张发票什么时候到期？"],
        ["When is the invoice due?", "By when must the invoice be paid?"],
    ),
    "buyer_address": C(["购买方地址", "客户地址"], ["buyer address", "billing address", "customer address"]),
    "iban": C(["国际银行账号", "IBAN账号"], ["IBAN", "IBAN number"], [], ["Which IBAN should I pay to?"]),
}

# The names a user types for an invoice's fields in the languages beside Chinese and English, per
# language and concept ("en": the short forms UK/IE invoices use). An invoice printed in one of
# them sets `doc.data["locale"]` to "<lang>-invoice" (LOCAL_NAMES below).
INVOICE_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "invoice_no": ("invoice no.", "Invoice No", "invoice #"),
        "date": ("date of issue", "date of invoice"),
        "seller_name": ("supplier", "supplier name"),
        "address": ("seller address", "supplier address"),
        "seller_tax_id": ("VAT number", "VAT reg no", "seller VAT ID"),
        "buyer_name": ("customer", "customer name", "bill to"),
        "subtotal": ("net", "total excl. VAT", "net total"),
        "tax_amount": ("VAT", "VAT amount"),
        "tax_rate": ("VAT rate",),
        "total": ("total due", "gross amount", "total incl. VAT", "invoice total"),
    },
    "de": {
        "invoice_no": ("Rechnungsnummer", "Rechnungs-Nr.", "Rechnungsnr"),
        "date": ("Rechnungsdatum", "Datum"),
        "due_date": ("Fälligkeitsdatum", "fällig am", "Fälligkeit"),
        "seller_name": ("Verkäufer", "Lieferant", "Rechnungssteller", "Firma"),
        "address": ("Adresse des Lieferanten", "Anschrift Lieferant"),
        "seller_tax_id": ("USt-IdNr.", "Umsatzsteuer-ID", "USt-ID des Lieferanten"),
        "buyer_name": ("Käufer", "Kunde", "Rechnungsempfänger"),
        "buyer_address": ("Kundenadresse", "Rechnungsadresse", "Anschrift des Kunden"),
        "subtotal": ("Nettobetrag", "Netto", "Summe netto"),
        "tax_amount": ("MwSt", "Umsatzsteuer", "Mehrwertsteuer", "MwSt-Betrag"),
        "tax_rate": ("MwSt-Satz", "Steuersatz"),
        "total": ("Gesamtbetrag", "Bruttobetrag", "Rechnungsbetrag", "Endbetrag"),
        "iban": ("IBAN", "Bankverbindung IBAN"),
        "currency": ("Währung",),
    },
    "fr": {
        "invoice_no": ("Numéro de facture", "N° de facture", "numéro facture"),
        "date": ("Date de facture", "date de facturation"),
        "due_date": ("Échéance", "Date d'échéance"),
        "seller_name": ("Vendeur", "Fournisseur", "Émetteur"),
        "address": ("Adresse du fournisseur", "adresse vendeur"),
        "seller_tax_id": ("N° TVA intracommunautaire", "numéro de TVA du vendeur"),
        "buyer_name": ("Client", "Acheteur", "nom du client"),
        "buyer_address": ("Adresse du client", "adresse de facturation"),
        "subtotal": ("Total HT", "Montant HT"),
        "tax_amount": ("TVA", "Montant TVA", "montant de la TVA"),
        "tax_rate": ("Taux de TVA", "taux TVA"),
        "total": ("Total TTC", "Montant TTC", "Net à payer"),
        "iban": ("IBAN",),
        "currency": ("Devise",),
    },
    "nl": {
        "invoice_no": ("Factuurnummer", "factuurnr"),
        "date": ("Factuurdatum",),
        "due_date": ("Vervaldatum", "uiterste betaaldatum"),
        "seller_name": ("Leverancier", "Verkoper"),
        "address": ("Adres leverancier",),
        "seller_tax_id": ("BTW-nummer", "BTW-nummer leverancier"),
        "buyer_name": ("Klant", "Koper", "klantnaam"),
        "buyer_address": ("Adres klant", "factuuradres"),
        "subtotal": ("Subtotaal", "Totaal excl. BTW"),
        "tax_amount": ("BTW", "BTW-bedrag"),
        "tax_rate": ("BTW-tarief", "BTW percentage"),
        "total": ("Totaal", "Totaal incl. BTW", "Totaalbedrag", "Te betalen"),
        "iban": ("IBAN",),
        "currency": ("Valuta",),
    },
}


@dataclass(frozen=True)
class FieldDef:
    """A printed field of a document type: its key in the ground truth and the concept it means."""

    key: str
    concept: str


@dataclass
class TypeSpec:
    name: str
    lang: str  # "zh" or "en": the script family of the document, and the query names' fallback
    title: str
    fields: list[FieldDef] = field(default_factory=list)
    locale: str | None = None  # a key of LOCAL_NAMES: the names a user of that language asks by
    # concepts the page prints without a labelled field (an invoice's phone, its registration
    # number): never asked as absent, since null would be a wrong answer there
    unlabelled: frozenset[str] = frozenset()
    # names a query never asks any field of this type by: the page prints them as the label of
    # other fields' values, so the name is read as that row (a VAT invoice's "合 计" row holds the
    # net and the tax, not the gross that the total concept's alias "合计" means elsewhere)
    not_asked_by: frozenset[str] = frozenset()

    @property
    def concepts(self) -> set[str]:
        return {f.concept for f in self.fields}


def spec(
    name: str,
    lang: str,
    title: str,
    pairs: list[tuple[str, str]],
    locale: str | None = None,
    unlabelled: tuple[str, ...] = (),
    not_asked_by: tuple[str, ...] = (),
) -> TypeSpec:
    for c in [c for _, c in pairs] + list(unlabelled):
        if c not in CONCEPTS:
            raise KeyError(f"unknown concept {c!r} in {name}")
    if locale is not None and locale not in LOCAL_NAMES:
        raise KeyError(f"unknown locale {locale!r} in {name}")
    for n in not_asked_by:
        if any(n == k for k, _ in pairs):
            raise ValueError(f"{name}: {n!r} is a field's own key and cannot be left unasked")
    fields = [FieldDef(k, c) for k, c in pairs]
    return TypeSpec(name, lang, title, fields, locale, frozenset(unlabelled), frozenset(not_asked_by))


def local_names(concept: str, locale: str | None) -> tuple[str, ...]:
    """The names a user of `locale` asks `concept` by (none for a type without a locale)."""
    return LOCAL_NAMES.get(locale, {}).get(concept, ()) if locale else ()


# Field names in the language of a receipt's country, per locale and concept: what a user of that
# language types ("Summe", "Montant TTC", "合計"). Only types with a `locale` draw them, beside the
# concept's English and Chinese names. (A name may mean one concept per locale.)
LOCAL_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "de": {
        "seller_name": ("Händler", "Firma", "Geschäft", "Laden", "Firmenname", "Verkäufer"),
        "address": ("Anschrift", "Adresse", "Händleradresse"),
        "date": ("Datum", "Kaufdatum", "Belegdatum"),
        "time": ("Uhrzeit", "Zeit"),
        "total": ("Summe", "Gesamtbetrag", "Betrag", "Gesamtsumme", "Endbetrag"),
        "subtotal": ("Netto", "Nettobetrag", "Summe netto"),
        "tax_amount": ("MwSt", "MwSt-Betrag", "Steuerbetrag", "Umsatzsteuer"),
        "tax_rate": ("MwSt-Satz", "Steuersatz"),
        "cash": ("Gegeben", "Bar gegeben", "Bezahlt"),
        "change": ("Rückgeld", "Wechselgeld"),
        "payment_method": ("Zahlungsart", "Zahlart", "Bezahlart"),
        "invoice_no": ("Bonnummer", "Belegnummer", "Bon-Nr."),
        "phone": ("Telefon", "Telefonnummer"),
        "seller_tax_id": ("USt-IdNr.", "Umsatzsteuer-ID", "USt-ID"),
        "cashier": ("Kassierer", "Bediener"),
    },
    "fr": {
        "seller_name": ("Magasin", "Enseigne", "Commerçant", "Société", "Nom du magasin"),
        "address": ("Adresse", "Adresse du magasin"),
        "date": ("Date", "Date d'achat"),
        "time": ("Heure",),
        "total": ("Total", "Montant TTC", "Total TTC", "Montant", "Net à payer"),
        "subtotal": ("Total HT", "Montant HT"),
        "tax_amount": ("TVA", "Montant TVA", "Montant de la TVA"),
        "tax_rate": ("Taux TVA", "Taux de TVA"),
        "cash": ("Espèces", "Montant payé", "Montant reçu"),
        "change": ("Rendu", "Monnaie rendue", "Rendu monnaie"),
        "payment_method": ("Mode de paiement", "Moyen de paiement", "Règlement"),
        "invoice_no": ("Numéro de ticket", "N° ticket", "N° de ticket"),
        "phone": ("Téléphone", "Tél"),
        "seller_tax_id": ("N° TVA", "Numéro de TVA intracommunautaire", "TVA intracom"),
        "cashier": ("Caissier", "Caissière"),
    },
    "nl": {
        "seller_name": ("Winkel", "Bedrijf", "Winkelnaam", "Verkoper", "Bedrijfsnaam"),
        "address": ("Adres", "Winkeladres"),
        "date": ("Datum", "Aankoopdatum"),
        "time": ("Tijd", "Tijdstip"),
        "total": ("Totaal", "Totaalbedrag", "Te betalen", "Bedrag"),
        "subtotal": ("Excl. BTW", "Bedrag excl. btw", "Netto bedrag"),
        "tax_amount": ("BTW", "BTW-bedrag", "Btw bedrag"),
        "tax_rate": ("BTW-tarief", "Btw-percentage"),
        "cash": ("Contant", "Betaald", "Ontvangen"),
        "change": ("Wisselgeld", "Terug"),
        "payment_method": ("Betaalwijze", "Betaalmethode"),
        "invoice_no": ("Bonnummer", "Bonnr"),
        "phone": ("Telefoon", "Telefoonnummer"),
        "seller_tax_id": ("BTW-nummer", "Btw-id", "BTW-nr"),
        "cashier": ("Kassamedewerker", "Medewerker"),
    },
    "es": {
        "seller_name": ("Tienda", "Comercio", "Empresa", "Establecimiento", "Nombre de la tienda"),
        "address": ("Dirección", "Domicilio"),
        "date": ("Fecha", "Fecha de compra"),
        "time": ("Hora",),
        "total": ("Total", "Importe", "Importe total", "Total a pagar"),
        "subtotal": ("Base imponible", "Importe sin IVA"),
        "tax_amount": ("IVA", "Cuota IVA", "Importe IVA"),
        "tax_rate": ("Tipo IVA", "Tipo de IVA", "Porcentaje IVA"),
        "cash": ("Efectivo", "Entregado", "Importe entregado"),
        "change": ("Cambio", "Vuelta", "Devolución"),
        "payment_method": ("Forma de pago", "Método de pago"),
        "invoice_no": ("Número de ticket", "Nº ticket", "Número de factura"),
        "phone": ("Teléfono", "Tel"),
        "seller_tax_id": ("NIF", "CIF", "NIF del vendedor"),
        "cashier": ("Cajero", "Cajera"),
    },
    "it": {
        "seller_name": ("Negozio", "Esercente", "Ditta", "Azienda", "Ragione sociale"),
        "address": ("Indirizzo", "Sede"),
        "date": ("Data", "Data acquisto"),
        "time": ("Ora", "Orario"),
        "total": ("Totale", "Importo", "Totale complessivo", "Importo pagato"),
        "subtotal": ("Imponibile", "Totale imponibile"),
        "tax_amount": ("IVA", "Imposta", "Importo IVA"),
        "tax_rate": ("Aliquota IVA", "Aliquota"),
        "cash": ("Contanti", "Pagato", "Importo versato"),
        "change": ("Resto",),
        "payment_method": ("Metodo di pagamento", "Pagamento", "Modalità di pagamento"),
        "invoice_no": ("Numero scontrino", "Numero documento", "Documento n."),
        "phone": ("Telefono",),
        "seller_tax_id": ("Partita IVA", "P.IVA", "P. IVA"),
        "cashier": ("Cassiere", "Operatore"),
    },
    "uk": {
        "seller_name": ("Shop", "Retailer", "Store", "Merchant", "Business name"),
        "address": ("Address", "Shop address"),
        "date": ("Date", "Date of purchase"),
        "time": ("Time",),
        "total": ("Total", "Amount due", "Total to pay", "Total paid", "Balance due"),
        "subtotal": ("Net", "Net total", "Total excl. VAT"),
        "tax_amount": ("VAT", "VAT amount", "Total VAT"),
        "tax_rate": ("VAT rate",),
        "cash": ("Cash", "Amount tendered", "Cash given"),
        "change": ("Change", "Change given"),
        "payment_method": ("Payment", "Payment type", "Paid with"),
        "invoice_no": ("Receipt no", "Transaction no", "Receipt number"),
        "phone": ("Phone", "Phone number", "Telephone"),
        "seller_tax_id": ("VAT number", "VAT reg no", "VAT registration number"),
        "cashier": ("Served by", "Operator"),
    },
    "jp": {
        "seller_name": ("店名", "店舗名", "会社名", "販売店", "お店"),
        "address": ("住所", "所在地", "店舗住所"),
        "date": ("日付", "購入日", "お買上日"),
        "time": ("時刻", "時間"),
        "total": ("合計", "合計金額", "お支払い金額", "お買上金額"),
        "subtotal": ("税抜金額", "税抜合計"),
        "tax_amount": ("消費税", "消費税額", "内消費税"),
        "tax_rate": ("消費税率",),
        "cash": ("お預り", "お預かり", "預り金"),
        "change": ("お釣り", "おつり", "釣銭"),
        "payment_method": ("支払方法", "お支払方法"),
        "invoice_no": ("レシート番号", "取引番号", "伝票番号"),
        "phone": ("電話番号", "TEL"),
        "seller_tax_id": ("登録番号", "事業者登録番号"),
        "cashier": ("担当者", "レジ担当"),
    },
}
LOCAL_NAMES.update({f"{lang}-invoice": names for lang, names in INVOICE_NAMES.items()})
# Questions a user of `locale` asks (only types with that locale draw them).
LOCAL_QUESTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "de": {"total": ("Wie viel habe ich bezahlt?", "Wie hoch ist die Summe?"),
           "seller_name": ("Von welchem Geschäft ist der Bon?",), "date": ("Von wann ist der Bon?",)},
    "fr": {"total": ("Quel est le montant total ?", "Combien ai-je payé ?"),
           "seller_name": ("De quel magasin vient ce ticket ?",), "date": ("De quand date ce ticket ?",)},
    "nl": {"total": ("Wat is het totaalbedrag?", "Hoeveel heb ik betaald?"),
           "seller_name": ("Van welke winkel is deze bon?",), "date": ("Van wanneer is deze bon?",)},
    "es": {"total": ("¿Cuál es el importe total?", "¿Cuánto pagué?"),
           "seller_name": ("¿De qué tienda es este ticket?",), "date": ("¿De qué fecha es el ticket?",)},
    "it": {"total": ("Qual è il totale?", "Quanto ho pagato?"),
           "seller_name": ("Di quale negozio è lo scontrino?",), "date": ("Di che giorno è lo scontrino?",)},
    "uk": {"total": ("How much did I pay?", "What was the total?"),
           "seller_name": ("Which shop is this from?",), "date": ("What day was this bought?",)},
    "jp": {"total": ("合計はいくらですか？", "いくら払いましたか？"),
           "seller_name": ("どこのお店のレシートですか？",), "date": ("いつのレシートですか？",)},
}  # fmt: skip
