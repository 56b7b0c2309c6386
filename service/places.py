"""Country names, for questions that ask "which country": a sentence naming none cannot answer.

The 193 UN member states, the two observer states and a few other places often named as
countries, with the short forms documents use ("Congo", "Ivory Coast"). Matching is on whole
words, case-sensitive (names are proper nouns: "Chad", not "chad").
"""

from __future__ import annotations

import re

COUNTRIES = (  # noqa: SIM905 (one string reads better than 230 quoted names)
    "Afghanistan|Albania|Algeria|Andorra|Angola|Antigua and Barbuda|Argentina|Armenia|"
    "Australia|Austria|Azerbaijan|Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|"
    "Benin|Bhutan|Bolivia|Bosnia and Herzegovina|Bosnia|Botswana|Brazil|Brunei|Bulgaria|"
    "Burkina Faso|Burundi|Cabo Verde|Cape Verde|Cambodia|Cameroon|Canada|"
    "Central African Republic|Chad|Chile|China|Colombia|Comoros|Congo|Costa Rica|"
    "Côte d’Ivoire|Côte d'Ivoire|Cote d’Ivoire|Cote d'Ivoire|Cote d Ivoire|Ivory Coast|Croatia|"
    "Cuba|Cyprus|Czechia|Czech Republic|Denmark|Djibouti|Dominica|Dominican Republic|Ecuador|"
    "Egypt|El Salvador|Equatorial Guinea|Eritrea|Estonia|Eswatini|Swaziland|Ethiopia|Fiji|"
    "Finland|France|Gabon|Gambia|Georgia|Germany|Ghana|Greece|Grenada|Guatemala|Guinea|"
    "Guinea-Bissau|Guyana|Haiti|Honduras|Hungary|Iceland|India|Indonesia|Iran|Iraq|Ireland|"
    "Israel|Italy|Jamaica|Japan|Jordan|Kazakhstan|Kenya|Kiribati|Kosovo|Kuwait|Kyrgyzstan|"
    "Laos|Lao People’s Democratic Republic|Latvia|Lebanon|Lesotho|Liberia|Libya|"
    "Liechtenstein|Lithuania|Luxembourg|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|"
    "Marshall Islands|Mauritania|Mauritius|Mexico|Micronesia|Moldova|Monaco|Mongolia|"
    "Montenegro|Morocco|Mozambique|Myanmar|Namibia|Nauru|Nepal|Netherlands|New Zealand|"
    "Nicaragua|Niger|Nigeria|North Korea|North Macedonia|Norway|Oman|Pakistan|Palau|Palestine|"
    "Panama|Papua New Guinea|Paraguay|Peru|Philippines|Poland|Portugal|Qatar|Romania|Russia|"
    "Russian Federation|Rwanda|Saint Kitts and Nevis|Saint Lucia|"
    "Saint Vincent and the Grenadines|Samoa|San Marino|Sao Tome and Principe|Saudi Arabia|"
    "Senegal|Serbia|Seychelles|Sierra Leone|Singapore|Slovakia|Slovenia|Solomon Islands|"
    "Somalia|South Africa|South Korea|Korea|South Sudan|Spain|Sri Lanka|Sudan|Suriname|Sweden|"
    "Switzerland|Syria|Syrian Arab Republic|Taiwan|Tajikistan|Tanzania|Thailand|Timor-Leste|"
    "East Timor|Togo|Tonga|Trinidad and Tobago|Tunisia|Turkey|Türkiye|Turkmenistan|Tuvalu|"
    "Uganda|Ukraine|United Arab Emirates|United Kingdom|UK|Britain|United States|USA|"
    "Uruguay|Uzbekistan|Vanuatu|Vatican|Holy See|Venezuela|Viet Nam|Vietnam|Western Sahara|"
    "Yemen|Zambia|Zimbabwe|DRC|DR Congo|Darfur"
).split("|")

_COUNTRY = re.compile(
    r"(?<![\w-])("
    + "|".join(re.escape(c) for c in sorted(COUNTRIES, key=len, reverse=True))
    + r")(?![\w-])"
)


def names_country(text: str) -> bool:
    """Whether `text` names a country."""
    return _COUNTRY.search(text) is not None
