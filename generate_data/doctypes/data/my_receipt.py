"""What a Malaysian / Singaporean receipt prints around its values: labels, headings and line
templates, one list per printed line. `{tl}` is the tax's name (GST or SST), `{rate}` its rate,
`{lab}` the tax label of the tax-id line, `{value}` the value printed after a label."""

# (regular, bold) font families of a receipt not printed in a receipt font
SERIF_OR_SANS = [("en_sans", "en_sans_bold"), ("en_serif", "en_serif_bold")]
RULE_CHARS = ["-", "-", "=", ".", "*", None]
MONEY_STYLES = ["plain", "rm", "rm_sp"]
MONEY_STYLE_WEIGHTS = [70, 15, 15]
MONEY_FORMATS = {"plain": "{v}", "rm": "RM{v}", "rm_sp": "RM {v}", "sgd": "S${v}"}

# -- header
FORMER_NAMES = ["(formerly known as {name} Sdn Bhd)", "Licensee of {name}"]
TAX_ID_LINES = [
    "{lab} ID: {value}",
    "{lab} REG NO: {value}",
    "({lab} ID No: {value})",
    "{lab} ID. NO : {value}",
    "{lab} ID No :{value}",
    "{lab} Reg No. {value}",
]
PHONE_LINES = ["TEL: {}", "Tel No. {}", "TEL : {}", "Tel: {}", "PHONE: {}", "T: {}"]
HEADINGS_TAXED = [
    "TAX INVOICE",
    "-TAX INVOICE-",
    "SIMPLIFIED TAX INVOICE",
    "RECEIPT",
    "CASH BILL",
    "OFFICIAL RECEIPT",
    "CASH SALES",
    "INVOICE",
    "CASH RECEIPT",
    "",
]
HEADINGS_UNTAXED = ["RECEIPT", "CASH BILL", "OFFICIAL RECEIPT", "CASH SALES", "INVOICE", ""]

# -- document number, date, cashier
NUMBER_LABELS = [
    "Invoice No",
    "Receipt No",
    "Bill No",
    "Doc No",
    "INVOICE NO",
    "Receipt NO",
    "Document No",
    "INV#",
    "No",
]
SEPARATORS = [": ", " : ", ":"]
DATE_LABELS = ["Date", "DATE", "Date ", "Tarikh"]
DATE_SEPARATORS = [": ", " : "]
CASHIER_LABELS = ["Cashier", "CASHIER", "Operator", "Salesperson", "Served by"]

# -- items: the tax code after an amount, the column headings of the four item styles
ITEM_TAX_CODES = ["SR", "S", "*S", "", "", "Z"]
ITEM_HEADERS = [
    (["Item", "Qty", "Price", "Amount"], [0, 0.55, 0.76, 1.0], "lrrr"),
    (["QTY ITEM", "TOTAL"], [0, 1.0], "lr"),
    (["CODE/DESC", "PRICE", "DISC", "AMOUNT"], [0, 0.55, 0.72, 1.0], "lrrr"),
    (["Description", "Amt(RM)"], [0, 1.0], "lr"),
]
TOTAL_QTY_LABELS = ["TOTAL QTY", "Total Qty", "TOTAL QUANTITY"]

# -- totals: the receipt total beside its distractors
TOTAL_LABELS = [
    "TOTAL",
    "ROUNDED TOTAL",
    "Rounded Total (RM)",
    "NETT TOTAL",
    "TOTAL (RM)",
    "AMOUNT DUE",
    "GRAND TOTAL",
    "TOTAL INCL. {tl}",
    "Total Sales (Inclusive {tl})",
    "TOTAL AMOUNT",
    "Total Rounded",
    "NET TOTAL",
    "Total Amount Payable",
    "TOTAL:",
    "Total After Adj Incl {tl}",
    "Grand Total",
]
TOTAL_SEPARATORS = [":", "", " :"]
SUBTOTAL_LABELS = ["SUBTOTAL", "Sub Total", "Total Sales (Excluding {tl})", "TOTAL (EXCL {tl})", "Sub-Total"]
SUBTOTAL_LABELS_UNTAXED = ["SUBTOTAL", "Sub Total", "Sub-Total"]
TAX_LABELS = ["{tl} {rate}", "{tl} @{rate}", "Total {tl} @{rate}", "{tl} @ {rate}"]
SST_TAX_LABEL = "Service Tax (6%)"  # the fifth choice of TAX_LABELS on an SST receipt ("{tl} {rate}" on GST)
EXACT_TOTAL_LABELS = ["Total", "TOTAL SALES"]
EXACT_TOTAL_LABELS_TAXED = ["Total (Incl {tl})", "Total Sales Incl {tl}"]
ROUNDING_LABELS = ["ROUNDING ADJ", "Rounding Adjustment", "Rounding", "Rounding Adj.", "ROUNDING"]
INCLUDED_EXACT_LABEL = "Total (incl {tl})"
INCLUDED_ROUNDING_LABEL = "Rounding Adj"
INCLUDED_TOTAL_LABELS = ["TOTAL INCL. {tl}@{rate}", "TOTAL", "Total Rounded", "TOTAL (RM)", "NETT TOTAL"]
CASH_LABELS = ["CASH", "Cash", "Cash Tendered", "Received Cash", "TENDERED", "Paid", "Payment"]
CHANGE_LABELS = ["CHANGE", "Change", "Change Due", "BALANCE", "Change Amt", "CHANGE DUE"]
TAX_INCLUDED_NOTES = ["{tl} @{rate} included in total", "TOTAL INCLUDES {rate} {tl}"]

# -- the GST summary table (its "Total" is the amount before tax)
SUMMARY_TITLES = ["{tl} Summary", "{tl} SUMMARY", "Tax Summary", "{tl} Analysis"]
SUMMARY_AMOUNT_HEADS = ["Amount", "Amount(RM)", "Amt", "AMOUNT"]
SUMMARY_TAX_HEADS = ["Tax", "Tax(RM)", "{tl}", "TAX"]
SUMMARY_ROWS = ["{c} @ {r}", "{c} = {r}", "{c} {r}", "{c}@{r}"]
SUMMARY_TOTALS = ["Total", "TOTAL", "Total :", "Total:"]

# -- footer
FOOTER_LINES = [
    "THANK YOU. PLEASE COME AGAIN.",
    "GOODS SOLD ARE NOT RETURNABLE",
    "Thank You ! Pls Come Again.",
    "EXCHANGE ALLOWED WITHIN 3 DAYS",
    "WITH RECEIPT.",
    "STRICTLY NO CASH REFUND.",
    "THANK YOU!",
    "Keep the invoice for applicable returns",
    "Please come again",
]
OWNER_LEADS = ["Owned by", "Operated by", "OWNED BY", "Managed by", "OPERATED BY"]
