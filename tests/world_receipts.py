"""Ordinary shop receipts from many countries, as the OCR stage renders them (one printed row per
line), with their right company, address, date and total. Written by hand after the layouts those
countries' tills print; no real shop's data. Used to check that repairs leave right values alone."""

from __future__ import annotations

RECEIPTS: dict[str, dict] = {
    "DE": {
        "text": "\n".join(
            [
                "Bäckerei Schmidt GmbH",
                "Hauptstraße 5",
                "10115 Berlin",
                "Tel. 030 2345678",
                "USt-IdNr. DE123456789",
                "Roggenbrot 750g        3,80 A",
                "Brezel 2 x 0,90        1,80 A",
                "Kaffee groß            2,90 B",
                "SUMME EUR              8,50",
                "Bar                   10,00",
                "Rückgeld               1,50",
                "MwSt A 7%   Netto 5,42  MwSt 0,38",
                "MwSt B 19%  Netto 2,44  MwSt 0,46",
                "14.03.2024 08:12  Bon 4711  Kasse 2",
                "Vielen Dank für Ihren Einkauf!",
            ]
        ),
        "labels": {
            "company": "Bäckerei Schmidt GmbH",
            "address": "Hauptstraße 5 10115 Berlin",
            "date": "14.03.2024",
            "total": "8,50",
        },
    },
    "FR": {
        "text": "\n".join(
            [
                "MONOPRIX",
                "12 rue de Rivoli",
                "75004 Paris",
                "SIRET 552 018 020 00014",
                "TVA FR 75 552018020",
                "BAGUETTE TRADITION        1,30",
                "CAMEMBERT 250G            2,95",
                "EAU MINERALE 1,5L         0,89",
                "TOTAL TTC                 5,14",
                "ESPECES                  10,00",
                "RENDU MONNAIE             4,86",
                "TVA 5,5%  HT 4,87  TVA 0,27",
                "Le 02/05/2024 à 18:41",
                "Merci de votre visite",
            ]
        ),
        "labels": {
            "company": "MONOPRIX",
            "address": "12 rue de Rivoli 75004 Paris",
            "date": "02/05/2024",
            "total": "5,14",
        },
    },
    "UK": {
        "text": "\n".join(
            [
                "The Corner Café Ltd",
                "221 Baker Street",
                "London NW1 6XE",
                "VAT No. GB 123 4567 89",
                "1 x Flat White          3.20",
                "1 x Bacon Roll          4.50",
                "1 x Orange Juice        2.10",
                "TOTAL                   9.80",
                "VISA DEBIT              9.80",
                "VAT @ 20%               1.63",
                "18/06/2024 12:05",
                "Thank you, see you soon!",
            ]
        ),
        "labels": {
            "company": "The Corner Café Ltd",
            "address": "221 Baker Street London NW1 6XE",
            "date": "18/06/2024",
            "total": "9.80",
        },
    },
    "US": {
        "text": "\n".join(
            [
                "Joe's Hardware Inc.",
                "1600 Main St",
                "Springfield, IL 62701",
                "(217) 555-0142",
                "WOOD SCREWS 1LB        6.99",
                "PAINT BRUSH 2IN        4.49",
                "DUCT TAPE              5.29",
                "SUBTOTAL              16.77",
                "SALES TAX 6.25%        1.05",
                "TOTAL                 17.82",
                "CASH                  20.00",
                "CHANGE                 2.18",
                "07/04/2024 3:22 PM",
                "THANK YOU FOR SHOPPING",
            ]
        ),
        "labels": {
            "company": "Joe's Hardware Inc.",
            "address": "1600 Main St Springfield, IL 62701",
            "date": "07/04/2024",
            "total": "17.82",
        },
    },
    "JP": {
        "text": "\n".join(
            [
                "ファミリーマート 新宿三丁目店",
                "東京都新宿区新宿3-1-1",
                "電話:03-1234-5678",
                "2024年05月20日(月) 19:32",
                "おにぎり 鮭             ¥150",
                "緑茶 500ml              ¥138",
                "小計                    ¥288",
                "(内消費税等 8%           ¥21)",
                "合計                    ¥288",
                "お預り                  ¥500",
                "お釣り                  ¥212",
            ]
        ),
        "labels": {
            "company": "ファミリーマート 新宿三丁目店",
            "address": "東京都新宿区新宿3-1-1",
            "date": "2024年05月20日",
            "total": "¥288",
        },
    },
    "CN": {
        "text": "\n".join(
            [
                "华润万家超市(福田店)",
                "深圳市福田区深南中路1002号",
                "电话:0755-83216666",
                "流水号:0012345678",
                "商品名称      数量   单价    金额",
                "可口可乐330ml  2     3.00    6.00",
                "康师傅方便面    3     4.50   13.50",
                "金龙鱼大米5kg  1    68.00   68.00",
                "合计:87.50",
                "实收:100.00",
                "找零:12.50",
                "日期:2024-03-08 10:25:31",
                "谢谢惠顾 欢迎再次光临",
            ]
        ),
        "labels": {
            "company": "华润万家超市(福田店)",
            "address": "深圳市福田区深南中路1002号",
            "date": "2024-03-08",
            "total": "87.50",
        },
    },
    "SG": {
        "text": "\n".join(
            [
                "KOPI CORNER PTE LTD",
                "10 Anson Road #01-23",
                "International Plaza",
                "Singapore 079903",
                "GST Reg No: 201912345K",
                "Kaya Toast Set          5.80",
                "Kopi C                  1.60",
                "Subtotal                7.40",
                "GST 9%                  0.67",
                "TOTAL                   8.07",
                "NETS                    8.07",
                "12/07/2024 09:14",
            ]
        ),
        "labels": {
            "company": "KOPI CORNER PTE LTD",
            "address": "10 Anson Road #01-23 International Plaza Singapore 079903",
            "date": "12/07/2024",
            "total": "8.07",
        },
    },
    "IN": {
        "text": "\n".join(
            [
                "SHREE KRISHNA SWEETS PVT LTD",
                "No. 45, MG Road",
                "Bengaluru, Karnataka 560001",
                "GSTIN: 29ABCDE1234F1Z5",
                "Kaju Katli 250g       ₹ 320.00",
                "Samosa 4 pcs          ₹ 80.00",
                "Sub Total             ₹ 400.00",
                "CGST 2.5%             ₹ 10.00",
                "SGST 2.5%             ₹ 10.00",
                "Grand Total           ₹ 420.00",
                "UPI                   ₹ 420.00",
                "Date: 15-08-2024  Time: 18:45",
            ]
        ),
        "labels": {
            "company": "SHREE KRISHNA SWEETS PVT LTD",
            "address": "No. 45, MG Road Bengaluru, Karnataka 560001",
            "date": "15-08-2024",
            "total": "₹ 420.00",
        },
    },
}

# The same receipts answered with a payment row's amount as the total (cash given, or the change),
# and the total the payment rows settle: the receipts' payment vocabulary in each language.
WRONG_TOTALS: dict[str, tuple[str, str]] = {
    "DE": ("10,00", "8,50"),
    "FR": ("10,00", "5,14"),
    "US": ("20.00", "17.82"),
    "CN": ("100.00", "87.50"),
}
