#!/usr/bin/env python3
"""Write the bundled demo stream of socialnlp: data/demo/{posts.csv, incidents.csv, routes.yaml, README.md}.

The stream is illustrative and written for this project: a fictional provider
("Velonet", 维络) and invented people. No post was taken from a real platform.

It is deterministic (one seeded numpy RNG, no network, standard library + numpy +
pandas only): running it twice gives byte-identical files.

    python data/make_demo.py            # writes data/demo/
    python data/make_demo.py -o /tmp/x  # somewhere else

What it models (all times UTC, 2026-03-03T00:00Z to 2026-03-05T00:00Z):

* background noise in English, German and Chinese with a diurnal rhythm in the
  writers' local time (de UTC+1, zh UTC+8, en UK UTC+0 / US East UTC-5): chatter,
  praise, ads and spam, opinion, jokes and metaphors that use fault words
  ("my brain crashed", "这场考试简直是灾难"), news commentary;
* three non-incident bursts of noise (a football evening in German, the Lantern
  Festival on Weibo, a phone launch in English), to tempt burst detectors;
* a low rate of scattered genuine complaints from single users (label 1, no incident);
* seven incidents with an onset, a few first reports, a burst from many distinct
  authors, follow-ups from some of them, then decay; retweets of viral posts and a
  Weibo repost chain; the login outage recurs on day 2 under a new incident_id;
  one small incident (5 posts) should never alert;
* some noise about the incidents (jokes, "hope they fix it soon lol"): label 0.
"""
from __future__ import annotations

import argparse
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20260303
T0 = datetime(2026, 3, 3, tzinfo=timezone.utc)
T1 = T0 + timedelta(days=2)
SPAN_MIN = int((T1 - T0).total_seconds() // 60)
TARGET_TOTAL = 3450          # about 1,100 posts per language
MAX_LEN = 199                # posts stay short, like tweets and Weibo posts

BRAND = {"en": "Velonet", "de": "Velonet", "zh": "维络"}
HELP = {"en": "@VelonetHelp", "de": "@VelonetHilfe", "zh": "@维络客服"}
SITE = ["velonet.example", "www.velonet.example", "velonet.example/kundencenter", "velonet.example/account"]

# --------------------------------------------------------------------------- people

EN_FIRST = ["anna", "ben", "chloe", "dan", "emma", "finn", "grace", "harry", "isla", "jack", "kate", "liam",
            "maya", "noah", "olivia", "pete", "quinn", "rosie", "sam", "tom", "uma", "vic", "will", "zoe",
            "amy", "chris", "dave", "ella", "fred", "gemma", "holly", "ian", "jess", "kieran", "lucy", "matt",
            "nina", "oscar", "priya", "raj", "sophie", "tariq", "vince", "wendy", "aisha", "brandon", "carlos",
            "diana", "ethan", "fiona", "george", "hannah", "josh", "kelly", "leo", "megan", "nathan", "owen",
            "paige", "ryan", "sarah", "tyler", "zara", "marcus", "jade", "connor", "keisha", "dev", "mei", "sean"]
EN_LAST = ["smith", "jones", "taylor", "brown", "wilson", "evans", "thomas", "johnson", "roberts", "walker",
           "wright", "robinson", "thompson", "white", "hughes", "edwards", "green", "hall", "wood", "harris",
           "clarke", "patel", "khan", "murphy", "kelly", "obrien", "nguyen", "garcia", "miller", "davis",
           "martin", "lee", "baker", "cooper", "ward", "morgan", "price", "bell", "reid", "fox", "okafor", "chen"]
DE_FIRST = ["Anna", "Lena", "Lukas", "Jonas", "Leon", "Finn", "Paul", "Felix", "Max", "Elias", "Ben", "Noah",
            "Marie", "Sophie", "Lea", "Laura", "Julia", "Sarah", "Hannah", "Lisa", "Katrin", "Sabine", "Petra",
            "Michael", "Thomas", "Andreas", "Stefan", "Markus", "Christian", "Tobias", "Jan", "Tim", "Nils",
            "Jana", "Carla", "Emil", "Greta", "Ida", "Jürgen", "Uwe", "Dieter", "Monika", "Ute", "Birgit",
            "Kerstin", "Frank", "Jörg", "Sven", "Björn", "Mia", "Emily", "Mehmet", "Elif", "Can", "Deniz",
            "Nico", "Kai", "Malte", "Moritz", "Franzi", "Steffi", "Karin", "Heike", "Timo", "Lars"]
DE_LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
           "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
           "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann",
           "Köhler", "Huber", "Kaiser", "Fuchs", "Peters", "Scholz", "Keller", "Vogel", "Yilmaz", "Öztürk",
           "Kowalski", "Berger", "Brandt", "Engel"]
ZH_ADJ = ["不吃香菜", "爱睡觉", "北漂", "努力上班", "喜欢下雨天", "想去海边", "会飞", "减肥中", "熬夜", "迷路",
          "快乐", "认真生活", "在德国", "留学", "早起困难", "爱喝奶茶", "不想上班", "慢热", "佛系", "追光"]
ZH_NOUN = ["猫", "小鱼", "阿杰", "兔子", "胖虎", "打工人", "小王", "橘子", "月亮", "少年", "鲸鱼", "饭团",
           "小熊", "咸鱼", "团子", "柚子", "阿飞", "小林"]
ZH_PRE = ["小", "阿", "大", "老"]
ZH_CORE = ["鱼", "杰", "晴", "雪", "峰", "琳", "乐", "宝", "凯", "萌", "鹏", "薇", "涛", "瑶"]
ZH_SUF = ["", "同学", "酱", "呀", "_", "2026", "666", "不加班", "在路上", "_ovo", "1996", "吖"]
ZH_FIXED = ["奶茶续命中", "今天也要加油鸭", "柠檬不酸", "一只咸鱼", "人间清醒", "早睡早起", "吃饱了就睡",
            "星星点灯", "南风知我意", "路过的打工人", "山海皆可平", "晚风温柔", "一颗橙子", "夏天的风"]
ZH_CITY_NICK = ["成都", "杭州", "上海", "深圳", "武汉", "法兰克福", "柏林", "北京", "南京", "西安"]
ZH_CITY_ROLE = ["吃货", "打工人", "小王", "小透明", "老李", "土著", "留学生"]


def _translit(s: str) -> str:
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        s = s.replace(a, b)
    return s


# --------------------------------------------------------------------------- slots

def _slots() -> dict[str, dict[str, object]]:
    return {
        "en": {
            "brand": BRAND["en"], "help": HELP["en"],
            "city": ["London", "Manchester", "Leeds", "Bristol", "Glasgow", "Boston", "Chicago", "Seattle",
                     "Austin", "Dublin", "Cardiff", "Brooklyn"],
            "food": ["ramen", "tacos", "banana bread", "curry", "pho", "lasagne", "sourdough", "shakshuka",
                     "dumplings", "fish and chips", "a Sunday roast", "pad thai"],
            "drink": ["coffee", "a flat white", "matcha", "hot chocolate", "a pint", "chai"],
            "show": ["Severance", "Slow Horses", "The Bear", "that true crime doc everyone's talking about",
                     "the new season of the baking show", "Shrinking"],
            "pet": ["cat", "dog", "parrot", "hamster", "rescue greyhound", "bunny"],
            "weather": ["Rain", "Drizzle", "Fog", "Sleet", "Wind", "Grey skies"],
            "destination": ["Lisbon", "Tokyo", "Iceland", "Crete", "Vancouver", "Marrakech", "Edinburgh"],
            "team": ["Arsenal", "the Celtics", "Liverpool", "the Cubs", "Leeds", "the Sounders", "Spurs"],
            "book": ["Project Hail Mary", "the new Sally Rooney", "a Terry Pratchett classic", "Educated",
                     "Tomorrow, and Tomorrow, and Tomorrow"],
            "phone": ["Pixel 8", "Galaxy S23", "iPhone 15", "Galaxy A54", "Pixel 7a", "OnePlus 11"],
            "price": ["£25", "£29.99", "£19.99", "$35", "£22"],
            "product": ["headphones", "smartwatches", "chargers", "routers", "tablets", "smart speakers"],
            "phone_new": ["Lumina 7 Pro", "Lumina 7", "Lumina 7 Pro Max"],
        },
        "de": {
            "brand": BRAND["de"], "help": HELP["de"],
            "city": ["Berlin", "Hamburg", "München", "Köln", "Leipzig", "Stuttgart", "Dresden", "Frankfurt",
                     "Bremen", "Nürnberg", "Düsseldorf", "Hannover", "Freiburg", "Münster"],
            "food": ["Käsespätzle", "Currywurst", "Linsensuppe", "Flammkuchen", "Kartoffelsalat", "Rouladen",
                     "Döner", "Falafel", "Pfannkuchen", "Maultaschen", "Grünkohl"],
            "show": ["Dark", "Babylon Berlin", "Der Tatortreiniger", "Kleo", "Deutschland 83", "Die Discounter"],
            "weather": ["regnet es seit Stunden", "ist es neblig", "scheint die Sonne", "schneit es tatsächlich nochmal",
                        "stürmt es ordentlich", "ist es grau in grau"],
            "destination": ["Mallorca", "Lissabon", "Kopenhagen", "Südtirol", "Kreta", "Rügen", "Wien"],
            "match": ["Dortmund gegen Leverkusen", "Bayern gegen Freiburg", "Union gegen St. Pauli",
                      "Mainz gegen Frankfurt", "Köln gegen Gladbach"],
            "book": ["'Die Mittagsfrau'", "den neuen Juli Zeh", "'Kairos'", "'Der Schwarm'", "'Blutbuch'"],
            "phone": ["Pixel 8", "Galaxy S23", "iPhone 15", "Galaxy A54", "Pixel 7a", "Xiaomi 13"],
            "price": ["29,99", "34,99", "39,99", "24,99"],
        },
        "zh": {
            "brand": BRAND["zh"], "help": HELP["zh"],
            "city": ["北京", "上海", "广州", "深圳", "成都", "杭州", "武汉", "南京", "西安", "重庆", "长沙", "苏州"],
            "drink": ["杨枝甘露", "生椰拿铁", "珍珠奶茶", "冰美式", "柠檬茶", "桂花乌龙"],
            "food": ["火锅", "螺蛳粉", "红烧肉", "饺子", "麻辣烫", "酸菜鱼", "小龙虾", "烤肉", "煲仔饭"],
            "show": ["《繁花》", "《漫长的季节》", "《狂飙》", "那部悬疑剧", "《庆余年》"],
            "team": ["中国女排", "湖人", "广东队", "国足", "辽宁队"],
            "price": ["99", "128", "168", "199"],
            "n": ["2", "3", "5", "10"],
            "phone": ["小米14", "华为Mate60", "iPhone 15", "荣耀90", "OPPO Find X7"],
        },
    }


WEEKDAY = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
    "zh": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
}

# --------------------------------------------------------------------------- noise text

NOISE = {
    "en": {
        "chatter": [
            "Finally tried the new {food} place in {city}. 10/10 would go again",
            "Is it too early for {drink}? Asking for a friend",
            "{weather} again in {city}. Of course I forgot my umbrella",
            "My {pet} has decided 5am is breakfast time now. Send help",
            "Just finished {show}, that ending though…",
            "Anyone else's {weekday} feel like it's lasted a week already?",
            "Gym at 6am done. Feeling extremely smug about it",
            "Reading {book} on the train, can't put it down",
            "Who's watching the match tonight? {team} all the way",
            "Made {food} from scratch tonight and honestly I'm proud",
            "Spring cleaning mode activated. Found three chargers I didn't know I owned",
            "Sunset over {city} tonight was unreal 🌅",
            "Can someone recommend a good podcast for long drives?",
            "Three meetings that could have been emails. Classic {weekday}.",
            "Taking my {pet} to the vet, wish us luck",
            "New running shoes arrived, 5k tomorrow morning",
            "Pancakes for dinner because I'm an adult and I can",
            "Happy birthday to my little sister! 🎂",
            "Learning Spanish on my lunch breaks. Día 12 💪",
            "Rewatching {show} for the third time, no regrets",
            "That moment when you find a tenner in your old jacket",
            "Board game night with the neighbours tonight 🎲",
            "Plant update: the basil survived another week 🌿",
            "Does anyone actually enjoy assembling flat-pack furniture?",
            "Working from a café in {city} today, the coffee here is elite",
            "Just booked flights to {destination}!! ✈️",
            "My kid asked why the sky is blue and I panicked",
            "Nothing beats {food} on a rainy evening",
            "Weekend plans: absolutely nothing and I can't wait",
            "Ok who put pineapple on the office pizza",
            "Concert tickets secured 🎶",
            "Marathon training week 6, my legs are jelly",
            "Morning walk with the {pet}, frost on every car in the street",
            "Why is every recipe blog 2000 words before the actual recipe",
            "Tried baking bread for the first time. It's a brick. A tasty brick.",
            "Neighbour's kid is learning the trumpet. We are all learning patience",
            "Cleaned my keyboard and found half a sandwich's worth of crumbs",
            "First barbecue of the year? In March? In {city}? Bold.",
            "Reminder to drink water and text your mum",
            "Coffee with an old friend from uni, felt like no time had passed",
            "Just realised I've been pronouncing 'quinoa' wrong for a decade",
            "Lunch: {food}. Mood: excellent.",
            "Picked up a second-hand bike today, going to ride it everywhere",
            "The office plant has more social life than me",
            "Late night {drink} and a good book. Perfect evening",
            "Overheard on the bus: 'I'm not arguing, I'm explaining why I'm right'",
        ],
        "praise": [
            "Shoutout to {brand} support, sorted my tariff change in 5 minutes 👏",
            "The new {brand} app update is really smooth, love the dark mode",
            "Fibre from {brand} installed today, 900 Mbit down. Amazing",
            "Have to say, {brand} has been rock solid for me this year",
            "Just got the {brand} router upgrade, wifi reaches the garden now 🙌",
            "Props to the {brand} technician who came today, super friendly and quick",
            "The {brand} app's new usage tracker is genuinely useful",
            "Switched to {brand} last month, no regrets so far",
            "Great chat with {help} earlier, quick and helpful",
            "Streaming in 4K without a single hiccup. Thanks {brand}",
            "The new {phone} camera is ridiculous, shot this in the dark",
            "eSIM activation took two minutes. Whoever designed that flow, thank you",
            "Roaming with {brand} in {destination} worked perfectly, no surprise bill",
            "Honestly the {brand} installer explained more about my wifi than I learned in 10 years",
            "Tiny thing but the {brand} app now shows when my contract ends. Love that",
            "Moved house and {brand} had the line running on day one. Impressed",
            "Speed test just now: 940 down, 110 up. Not bad {brand}",
            "{help} sorted a roaming question in one reply. That's how it should work",
            "Kids gaming, me on a video call, partner streaming, zero lag. Good job {brand}",
            "The {phone} battery easily lasts two days. Didn't expect that",
            "Renewed my contract with {brand} and they knocked a fiver off without me asking",
        ],
        "ad": [
            "🔥 Spring deal: {brand} Fibre 500 for {price}/month for the first 6 months. Sign up now {url}",
            "Switch to {brand} Mobile and get 20GB extra data free! {url} #ad",
            "Win a new {phone}! Follow & RT to enter. Ends Friday. {url}",
            "Limited time: 50% off all {product} this week only {url}",
            "Need a better router? Our mesh kits are back in stock. {url}",
            "New on {brand} TV: 30 days free, cancel anytime {url}",
            "Our spring sale is live! Free delivery over £30 {url}",
            "Join our webinar: 'Cloud costs in 2026', Thursday 3pm {url}",
            "Student? Get {brand} broadband for half price with your student ID {url}",
        ],
        "spam": [
            "Get paid to work from home!!! DM me for details 💰💰",
            "Earn $500/day with crypto, no experience needed 👉 {url}",
            "I made £3,000 last week from my phone. Ask me how 🤑",
        ],
        "opinion": [
            "Honestly broadband prices in this country are too high across the board",
            "Unpopular opinion: unlimited data plans are overrated",
            "Every telco app looks the same now. Bring back some personality",
            "I think {brand} should offer a cheaper plan for students",
            "Why do all ISPs hide their cancellation page?",
            "Hot take: 5G is mostly marketing",
            "The customer service chatbot trend needs to stop. Just let me talk to a human",
            "Remote work has made home internet as important as electricity",
            "Dark mode should be the default everywhere. Fight me",
            "Tech reviewers don't test anything in real life anymore",
            "24 month minimum contracts should be illegal tbh",
            "Apps that ask for a rating after 10 seconds of use are the worst",
            "Paying extra for 'priority support' feels like a scam in general",
            "Phones were more fun when every brand tried something weird",
            "Roaming charges in 2026 should not be a thing. Anywhere.",
            "Every 'smart' device in my house needs its own app. That's not smart",
            "Fibre to every home should be a public project, not a marketing campaign",
            "Loyalty should be rewarded, not punished with price hikes after year one",
            "Why is 'unlimited' never actually unlimited",
            "I'd pay a bit more for a provider that answers the phone in under 5 minutes",
            "Mobile plans are way too complicated to compare",
            "Folding phones are cool but I don't trust a hinge with my whole life",
            "Paper bills should be an option without a £2 fee",
            "The best feature any app can have is a 'log out everywhere' button",
            "Tariff names like 'Max Ultra Plus' mean nothing to anyone",
        ],
        "joke": [
            "My brain crashed halfway through this exam",
            "{weekday} energy: 404 motivation not found",
            "My sleep schedule is a total outage at this point",
            "My diet crashed and burned at the sight of that cake",
            "This group project is a disaster and I'm the only one working",
            "Me: I'll go to bed early. Also me at 2am: *system failure*",
            "My social battery is completely down after that party",
            "Error 500: internal server error in my head",
            "My cooking tonight was a certified disaster 🔥",
            "It's 3pm and my brain has officially gone offline",
            "My fantasy football team is in total blackout mode",
            "My bank account after the weekend: connection lost",
            "I need to reboot. Going for a walk",
            "Tried to parallel park in front of a crowd. Catastrophic failure.",
            "My plant watering routine has a 100% failure rate",
            "Brain.exe has stopped working",
            "That meeting was a crash course in how not to present 😅",
            "My willpower went down faster than a cheap website",
            "Talking to my teenager is like pinging a server that always times out",
            "The vibe in the office today: critical error",
            "Our pub quiz team was an absolute train wreck tonight",
            "My phone battery and I are both at 3% emotionally",
            "I'm not lazy, I'm in energy-saving mode",
            "My Spanish is buffering. Please wait.",
            "Haircut went wrong. Total meltdown. I'm wearing a hat for a month",
        ],
        "news": [
            "Interesting piece on how the fibre rollout is going in rural areas {url}",
            "Read that {brand} plans to invest €2bn in fibre. We'll see.",
            "The EU roaming rules got extended again, good news for travellers {url}",
            "Article says mobile data usage doubled since 2020. Not surprised {url}",
            "Regulator fines another telecom for misleading speed ads {url}",
            "Good thread on why big cloud outages keep happening {url}",
            "Apparently smartphone sales fell again this quarter",
            "New report on digital payments: cash use keeps dropping {url}",
            "Watching the net neutrality debate, it's getting heated",
            "So the spectrum auction raised less than expected. Hm.",
            "Interesting stats on how much time we spend in apps every day {url}",
            "{brand} CEO interview this morning was mostly buzzwords tbh",
            "Someone explain why every bank is launching a super-app now",
            "Headline: 'AI will replace customer service'. Not if my last chatbot chat was any indication",
            "Long read on undersea cables and why they matter {url}",
            "Report: household broadband speeds up 30% on last year {url}",
            "The new consumer rules on contract exits start this summer, worth a read {url}",
            "Interesting interview about satellite internet for rural villages {url}",
            "Podcast this week on who actually owns the internet's cables. Fascinating",
            "Study says we check our phones 96 times a day. I feel seen {url}",
            "Telecom merger talk again in the papers this morning",
            "{brand} results out: more fibre customers, fewer landlines. Figures.",
        ],
    },
    "de": {
        "chatter": [
            "Endlich mal wieder Sonne in {city} ☀️",
            "Erster Kaffee, dann reden wir.",
            "Wer kommt heute Abend mit zum Stammtisch?",
            "{food} zum Mittag, der Tag kann nur gut werden",
            "Mein Hund hat heute die Nachbarskatze kennengelernt. Beide wenig begeistert 😅",
            "Hat jemand einen Tipp für eine gute Serie? {show} hab ich durch.",
            "Frühjahrsputz. Warum hab ich fünf Ladekabel für Geräte, die ich gar nicht mehr besitze?",
            "Heute im Büro: Kuchen, Klatsch und Quartalszahlen",
            "Joggen bei 3 Grad. Ich bin stolz und durchgefroren.",
            "Endlich Urlaub gebucht! Ab nach {destination} ✈️",
            "Spieleabend mit den Nachbarn, Catan eskaliert wieder",
            "Warum schmecken Brötchen vom Bäcker am Wochenende immer besser?",
            "Meine Tomatenpflanzen auf dem Balkon keimen! 🌱",
            "Heute Abend {match}, wer schaut mit?",
            "Zum ersten Mal Sauerteigbrot gebacken. Ergebnis: essbar.",
            "Die Straßenbahn war heute auf die Minute pünktlich. Ich bin verwirrt.",
            "Lese gerade {book}, absolute Empfehlung",
            "Wer hat eigentlich entschieden, dass Meetings um 8 Uhr okay sind?",
            "Geburtstagsgeschenk für meine Mutter gefunden, bin erleichtert",
            "Frisch gewaschene Bettwäsche ist total unterschätzt.",
            "Der Frühling kommt, die Vögel sind schon um 5 Uhr laut 🐦",
            "Mittagspause im Park, herrlich",
            "Endlich Feierabend. Sofa, ich komme.",
            "Unser Kater schläft seit sechs Stunden auf meinem Pulli. Ich trau mich nicht, ihn zu wecken.",
            "Wochenmarkt in {city} ist einfach der beste Start in den Tag",
            "Ich brauche dringend Urlaub. Oder wenigstens ein langes Wochenende.",
            "Neues Rezept ausprobiert: {food}. Die Familie hat alles aufgegessen 🙌",
            "Wie ist das Wetter bei euch? Hier in {city} {weather}",
            "Schon {weekday} und ich hab noch nichts von meiner To-do-Liste geschafft",
            "Kind hat heute sein erstes Seepferdchen gemacht 🏊",
            "Neue Brille, neues Ich. Ich sehe plötzlich Blätter an Bäumen",
            "Kann man eigentlich zu viel Tee trinken? Frage für mich.",
            "Radtour am Main entlang, endlich wieder draußen",
            "Die Nachbarin hat mir Marmelade geschenkt. Beste Nachbarin.",
            "Heute gelernt: Der Eiffelturm ist im Sommer ein paar Zentimeter größer.",
            "Fahrradsaison ist offiziell eröffnet 🚲",
            "Wer braucht schon Schlaf, wenn man Serien hat",
            "Abends noch schnell zum Späti, die Stadt ist so ruhig um diese Zeit",
            "Umzugskartons überall. Ich finde meinen Wasserkocher nicht.",
            "Omas Rezept für {food} ist immer noch unschlagbar",
            "Bin heute Morgen zu früh aufgewacht und hab den Sonnenaufgang gesehen. Hat sich gelohnt.",
            "Im Zug nach {city}, gutes Buch, guter Kaffee. Was will man mehr?",
        ],
        "praise": [
            "Neue App-Version ist super, endlich sieht man das Datenvolumen auf einen Blick",
            "Muss mal sagen: der {brand}-Techniker heute war pünktlich und total nett 👍",
            "Glasfaser ist da! 1 Gbit im Download, ich bin im Himmel",
            "Danke {help}, der Tarifwechsel ging in 5 Minuten über den Chat",
            "Seit dem Routertausch läuft das WLAN bei uns im ganzen Haus stabil",
            "Hätte nicht gedacht, dass ich das mal schreibe, aber der {brand}-Kundenservice war heute top",
            "Streaming in 4K ohne Ruckeln, so muss das sein",
            "Die neue Rechnungsübersicht in der {brand}-App ist richtig übersichtlich",
            "Endlich vernünftiges Netz auf dem Land, danke für den Ausbau in unserem Dorf",
            "Neues Handy eingerichtet, eSIM war in 2 Minuten aktiv. Respekt",
            "Seit einem Jahr bei {brand} und noch nie Probleme gehabt. Darf auch mal gesagt werden",
            "Umzug gemeldet, Anschluss lief am ersten Tag in der neuen Wohnung. Sehr gut gemacht",
            "Kleine Sache, aber die {brand}-App zeigt jetzt das Vertragsende an. Sehr praktisch",
            "Speedtest eben: 940 runter, 110 hoch. Nicht schlecht, {brand}",
            "{help} hat meine Roaming-Frage in einer Antwort geklärt. So soll das sein",
            "Kinder zocken, ich im Videocall, Partner streamt, null Ruckler. Gut gemacht, {brand}",
            "Vertrag verlängert und {brand} hat von sich aus 5 € im Monat nachgelassen",
            "Der Akku vom {phone} hält locker zwei Tage. Hätte ich nicht gedacht",
        ],
        "ad": [
            "Nur bis Sonntag: {brand} Glasfaser 500 für {price} €/Monat in den ersten 6 Monaten! {url}",
            "Jetzt wechseln und 100 € Startguthaben sichern 👉 {url} #Anzeige",
            "Gewinnspiel! Wir verlosen 3x ein neues {phone}. Folgen & teilen, Teilnahme bis Freitag {url}",
            "Frühjahrs-Sale: bis zu 40 % auf Smart-Home-Geräte {url}",
            "Mit dem {brand} Kombi-Paket: Internet, TV und Festnetz aus einer Hand {url}",
            "Neu im Shop: Mesh-WLAN-Set zum Einführungspreis {url}",
            "Webinar am Donnerstag: Digitalisierung im Mittelstand – jetzt anmelden {url}",
            "Frische Brötchen jetzt auch per App vorbestellen! Bäckerei Sommer, {city}",
            "Studierende aufgepasst: {brand} Mobil 20 GB für {price} € im Monat {url}",
        ],
        "spam": [
            "Nebenjob von zu Hause, 300 € am Tag!!! Schreib mir eine DM 💸",
            "Ich hab mit Krypto in einem Monat 5.000 € verdient. Link in Bio 🚀",
            "Gratis iPhone abholen, nur heute!!! 👉 {url}",
        ],
        "opinion": [
            "Internetpreise in Deutschland sind einfach zu hoch, egal bei welchem Anbieter",
            "Warum muss man eigentlich überall 24 Monate Vertragslaufzeit haben?",
            "Ich finde, Kundenhotlines sollten einen Rückrufservice Pflicht haben",
            "Digitalisierung in Deutschland: Das Fax ist immer noch Alltag. Traurig.",
            "Die ganzen Chatbots im Kundenservice nerven einfach nur",
            "Meinung: Glasfaser sollte Grundversorgung sein wie Wasser und Strom",
            "Wer braucht eigentlich 5G auf dem Handy? Ernsthafte Frage",
            "Ich vermisse die Zeiten, in denen Apps nicht alle zwei Wochen ein Update brauchten",
            "Dark Mode für alle Apps! Das ist meine einzige Forderung",
            "Homeoffice hat gezeigt, wie wichtig gutes Internet ist",
            "Bin ich der Einzige, der Sprachnachrichten über 2 Minuten nicht anhört?",
            "Telefonanbieter wechseln ist heute viel einfacher als früher, das muss man sagen",
            "Bargeld abschaffen? Bitte nicht. Ich will die Wahl haben",
            "Roaming-Gebühren sollten 2026 überall Geschichte sein.",
            "Jedes 'smarte' Gerät braucht eine eigene App. Das ist nicht smart.",
            "Treue Kunden sollten belohnt werden und nicht nach einem Jahr mehr zahlen",
            "Ich würde mehr zahlen für einen Anbieter, bei dem man in fünf Minuten jemanden erreicht",
            "Handytarife sind viel zu kompliziert zum Vergleichen",
            "Papierrechnung nur gegen Aufpreis? Finde ich daneben.",
            "Tarifnamen wie 'Max Ultra Plus' sagen mir gar nichts",
            "Warum ist 'unbegrenzt' eigentlich nie wirklich unbegrenzt?",
            "Der Glasfaserausbau in Deutschland dauert einfach zu lange",
            "Kündigen muss genauso einfach sein wie abschließen. Punkt.",
        ],
        "joke": [
            "Mein {weekday} ist ein Totalausfall",
            "Mein Gehirn ist nach der Klausur komplett abgestürzt",
            "Motivation heute: Verbindung unterbrochen",
            "Meine Kochkünste heute: Systemabsturz mit Rauchentwicklung 🔥",
            "Ich bin heute im Energiesparmodus. Bitte nicht ansprechen.",
            "Der Server meines Gehirns antwortet nicht. Bitte später erneut versuchen.",
            "Mein Schlafrhythmus ist eine einzige Dauerstörung",
            "Diese Präsentation war eine Katastrophe, aber immerhin eine schöne Katastrophe",
            "Nach dem dritten Meeting: Festplatte voll",
            "Meine Diät hatte heute einen Totalausfall beim Bäcker",
            "Fehler 404: Lust auf Arbeit nicht gefunden",
            "Unsere Kneipenquiz-Mannschaft war heute ein einziger Absturz",
            "Ich muss mich mal neu starten. Spaziergang.",
            "Akku leer. Also meiner, nicht der vom Handy.",
            "Die Mathe-Hausaufgaben meines Sohnes lassen mein System abstürzen",
            "Mein Orientierungssinn hat heute wieder komplett versagt 🙈",
            "Wenn die Schwiegermutter zu Besuch kommt: Alarmstufe Rot",
            "Der Kuchen ist eingestürzt. Schmeckt aber trotzdem.",
            "Heute Morgen im Bad: Totalausfall der Frisur",
            "Mein Französisch lädt noch. Bitte warten.",
            "Meine Geduld hat heute ein Funkloch",
            "Gruppenarbeit an der Uni: das reinste Desaster",
        ],
        "news": [
            "Interessanter Artikel zum Glasfaserausbau auf dem Land {url}",
            "Laut einem Bericht zahlen die Deutschen mehr fürs mobile Internet als der EU-Schnitt {url}",
            "Die Bundesnetzagentur will Mindestbandbreiten strenger prüfen {url}",
            "{brand} kündigt Milliarden-Investitionen in 5G an. Mal sehen, was davon ankommt.",
            "Kommentar in der Zeitung heute: Der Digitalpakt kommt nicht voran. Wenig überraschend.",
            "Studie: Bargeld wird immer seltener genutzt {url}",
            "Spannende Doku über Rechenzentren gestern im Fernsehen",
            "Die Nachrichten sind heute voll mit Tarifverhandlungen. Mal schauen, wie das ausgeht.",
            "Das Interview mit dem {brand}-Chef war ziemlich inhaltsleer",
            "Gute Analyse, warum große Cloud-Ausfälle immer wieder passieren {url}",
            "Neue Zahlen: Jeder Zweite nutzt inzwischen mobiles Bezahlen {url}",
            "Der Streit um die Funklöcher auf dem Land geht in die nächste Runde",
            "Bericht: Die Breitbandgeschwindigkeit in Haushalten ist um 30 % gestiegen {url}",
            "Interessantes Interview über Satelliteninternet für Dörfer {url}",
            "Laut Studie schauen wir 96 Mal am Tag aufs Handy. Fühle mich ertappt {url}",
            "Mal wieder Fusionsgerüchte bei den Telekommunikationsfirmen in der Zeitung",
            "{brand}-Quartalszahlen: mehr Glasfaserkunden, weniger Festnetz. Logisch.",
            "Podcast-Tipp: Wem gehören eigentlich die Kabel des Internets? Sehr spannend",
            "Neue Verbraucherregeln für Vertragskündigungen kommen im Sommer {url}",
        ],
    },
    "zh": {
        "chatter": [
            "今天{city}终于出太阳了☀️",
            "早八人的痛谁懂",
            "下班路上买了杯{drink}，幸福感满满",
            "周末想去{city}玩，有没有推荐的地方？",
            "家里的猫又把花盆推下去了",
            "今晚吃{food}，减肥从明天开始",
            "追完了{show}，结局我哭了",
            "新买的跑鞋到了，明天早起跑五公里💪",
            "公司楼下新开了家面馆，味道绝了",
            "春天来了，小区的玉兰花开了🌸",
            "今天地铁上看到一只柯基，可爱到犯规",
            "又是加班的一天，打工人加油",
            "有没有好看的书推荐？最近书荒了",
            "第一次自己做{food}，居然成功了！",
            "周末带爸妈去爬山，腿已经不是自己的了",
            "室友今天生日，给她订了个蛋糕🎂",
            "今天的晚霞好美，随手一拍都是壁纸",
            "学了一个月吉他，终于能弹完整首歌了",
            "早起失败，再睡五分钟系列",
            "奶茶续命中，下午还有三个会",
            "刚看完{team}的比赛，太精彩了",
            "今天才{weekday}，离周末还有好久",
            "终于把房间收拾干净了，成就感爆棚",
            "明天要出差去{city}，有什么必吃的吗",
            "楼下来了一只流浪猫，好想带回家",
            "考研倒计时，冲冲冲",
            "妈妈寄来的腊肠到了，今晚煲仔饭安排上",
            "健身房打卡第30天，体重纹丝不动",
            "今天在{city}街头吃到了超好吃的烤冷面",
            "办公室的绿萝长得比我的工资还快",
            "周末计划：睡觉、吃饭、追剧",
            "在德国的第三年，终于学会做包子了",
            "下雨天和{drink}更配哦",
            "刚刚在公园看到有人放风筝，春天真的来了",
            "换了个新发型，同事都说好看",
            "今天读完了一本书，推荐给大家：《活着》",
            "晚上和朋友去吃了{food}，撑死了",
            "自从养了狗，每天都能早起了",
        ],
        "praise": [
            "维络新版App真不错，流量一目了然👍",
            "给{help}点个赞，问题十分钟就解决了",
            "家里换了维络千兆宽带，打游戏再也不卡了",
            "维络客服小姐姐态度超好",
            "新买的{phone}拍夜景太强了",
            "用了一年维络，信号一直很稳，推荐",
            "装机师傅很专业，半小时就装好了，好评",
            "升级了新套餐，流量多了价格还便宜了",
            "维络App的账单页面改版后清楚多了",
            "出国漫游一键开通，比以前方便太多",
            "维络App现在能直接看到合约到期时间了，小细节很贴心",
            "刚测了一下网速，下载940M，上传110M，可以的维络",
            "孩子打游戏、我开视频会、老公看球，一点不卡，好评",
            "续约的时候维络主动给我降了10块钱，意外之喜",
            "新手机续航太顶了，两天一充",
            "搬家当天宽带就通了，效率很高",
        ],
        "ad": [
            "【限时优惠】维络千兆宽带首年仅需{price}元，立即办理👉{url}",
            "转发抽奖！送{n}台{phone}，关注+转发即可参与 {url}",
            "春季大促！全场智能家居低至5折 {url}",
            "新人注册即送20元话费券，快来领取 {url}",
            "维络5G套餐上新，每月100G流量，详情戳{url}",
            "【直播预告】今晚8点维络官方直播间，宽带套餐秒杀价 {url}",
            "学生专享：维络校园卡每月{price}元不限量 {url}",
        ],
        "spam": [
            "兼职日结，在家就能做，月入过万，私信我💰",
            "减肥茶三天瘦五斤，不反弹！私聊下单",
            "网课资料大全，需要的私信，免费分享",
        ],
        "opinion": [
            "现在的宽带套餐越来越复杂了，看得头大",
            "说实话，5G在我这儿跟4G没啥区别",
            "客服都换成机器人了，想找个人工太难了",
            "手机App天天更新，有必要吗",
            "个人觉得运营商应该推出更便宜的学生套餐",
            "无现金社会确实方便，但老年人怎么办",
            "大数据杀熟这事到底有没有人管",
            "深色模式才是正义",
            "现在的手机越来越贵，功能却没多大变化",
            "开会能不能别在下班前半小时开",
            "漫游费这种东西早该取消了",
            "家里每个智能设备都要装一个App，一点都不智能",
            "老用户不如新用户，这种套路什么时候能改改",
            "宁愿多花点钱，也想要一个打得通人工客服的运营商",
            "手机套餐太复杂了，根本比较不过来",
            "所谓的“无限流量”从来都不是真的无限",
            "折叠屏很酷，但我不敢把整个生活交给一个铰链",
            "注销账号应该和注册一样简单",
            "套餐名字起得一个比一个玄乎，看不懂",
        ],
        "joke": [
            "这场考试简直是灾难",
            "我的大脑已经宕机了",
            "今天的我：系统崩溃，请稍后再试",
            "减肥计划在看到火锅的那一刻彻底崩了",
            "{weekday}综合症，整个人处于断网状态",
            "心态崩了，论文还没写完",
            "开会开到脑子短路",
            "我的钱包已经瘫痪了，月底吃土",
            "做饭翻车现场，这卖相简直是事故",
            "今天的发型是一场事故",
            "熬夜后遗症：大脑404",
            "老板一句话，我的周末直接宕机",
            "小组作业就是一场灾难",
            "英语听力考试，我的耳朵当场死机",
            "电量不足，我需要充电（指睡觉）",
            "我的自律系统又双叒叕崩溃了",
            "看了一眼余额，当场蓝屏",
            "今天的状态：信号弱，请勿打扰",
            "学数学的时候我的脑子就会自动掉线",
            "相亲现场大型翻车，场面一度非常尴尬",
        ],
        "news": [
            "看到新闻说今年要大力推进千兆光网，期待",
            "报告说移动支付用户已经超过9亿了 {url}",
            "维络发布了新财报，营收增长不少",
            "又有新规定规范App过度收集个人信息，支持",
            "最新数据：全国5G基站数量又创新高",
            "关于AI客服的那篇文章说得挺有道理的 {url}",
            "看了个纪录片，讲数据中心怎么散热的，挺有意思",
            "新闻里说手机出货量下降了，大家都不换手机了吗",
            "专家说未来几年宽带会进入万兆时代，真的假的",
            "海底光缆的科普视频看完涨知识了 {url}",
            "报告：家庭宽带平均网速比去年提升了三成 {url}",
            "看了个采访，讲卫星互联网怎么覆盖偏远农村，挺有意思",
            "研究说人平均每天看手机96次，我感觉我不止 {url}",
            "又看到运营商合并的传闻了",
            "维络季度数据：光纤用户增加，固话用户减少，意料之中",
            "新的消费者权益规定下半年实施，退订会更方便 {url}",
        ],
    },
}

NOISE_WEIGHTS = {"chatter": 0.45, "praise": 0.08, "ad": 0.09, "spam": 0.025, "opinion": 0.10, "joke": 0.15,
                 "news": 0.095}

# composable noise: (parts..., how to join) gives hundreds of distinct everyday posts per language
CHATTER_PARTS = {
    "en": (["Just made {food}", "Finally tried {food} at that new place in {city}", "Watching {show} again",
            "Started {book}", "Walked the {pet} in the rain", "Booked a long weekend in {destination}",
            "Back from the gym", "Cleaned the whole flat", "Found my old Game Boy in the loft",
            "First {drink} of the day", "Caught the sunrise over {city}", "Took the long way home through the park",
            "Tried yoga for the first time", "Baked cookies with the kids", "Repotted all my plants",
            "Fixed the wobbly table with a folded beer mat", "Spent the evening on a 1000-piece jigsaw",
            "Met an old friend for {drink}", "Cycled to work for the first time this year",
            "Made a playlist for the weekend", "Sorted out the sock drawer", "Walked 15k steps today",
            "Cooked {food} for the in-laws", "Had {drink} on the balcony", "Went to a pottery class"],
           ["and it was glorious", "10/10", "highly recommend", "no regrets", "best decision this week",
            "feeling very adult about it", "would do again",
            "now I need a nap", "why did nobody tell me sooner", "small wins", "living my best life",
            "😊", "🙌", "what a day", "honestly needed that", "more of this please"]),
    "de": (["Heute {food} gemacht", "Endlich mit {show} weitergemacht", "Mit dem Hund durch den Regen gelaufen",
            "Ein Wochenende in {destination} gebucht", "Zum ersten Mal Yoga ausprobiert", "Den ganzen Keller aufgeräumt",
            "Mit den Kindern Kekse gebacken", "Alle Pflanzen umgetopft", "Lange durch {city} spaziert",
            "Alte Fotos sortiert", "Neues Regal aufgebaut, nur zwei Schrauben übrig",
            "Mit einer alten Freundin Kaffee getrunken", "Den Sonnenaufgang über {city} gesehen",
            "Über den Flohmarkt in {city} geschlendert", "Fahrrad geputzt und die Reifen aufgepumpt",
            "Ein Puzzle mit 1000 Teilen angefangen", "Die erste Runde Minigolf des Jahres gespielt",
            "Mit dem Rad zur Arbeit gefahren", "Für die Schwiegereltern {food} gemacht", "Einen Töpferkurs besucht",
            "Auf dem Balkon in der Sonne gefrühstückt", "Die Steuererklärung endlich abgeschickt"],
           ["Herrlich.", "Klare Empfehlung!", "Bereue nichts.", "Beste Entscheidung der Woche.",
            "Fühle mich sehr erwachsen.", "Würde ich wieder machen.", "Jetzt brauche ich ein Nickerchen.",
            "Warum hab ich das nicht früher gemacht?", "Kleine Erfolge zählen!",
            "😊", "🙌", "Was für ein Tag.", "Genau das hab ich gebraucht.", "Mehr davon!", "Stolz auf mich."]),
    "zh": (["今天做了{food}", "终于追到了{show}的最新一集", "周末去{city}玩了一趟", "下班买了杯{drink}",
            "早起去公园跑了三公里", "把衣柜整理了一遍", "和闺蜜去吃了{food}", "第一次尝试瑜伽", "给阳台的花换了盆",
            "带狗狗去打了疫苗", "在家拼了一下午乐高", "去电影院看了场电影", "在图书馆待了一整天", "学会了做{food}",
            "跟老同学聚了个餐", "逛了一下午宜家", "去{city}出差顺便吃了当地小吃", "骑车去上班了",
            "在阳台晒了一下午太阳", "给爸妈视频了一个小时", "去上了一节陶艺课"],
           ["，太满足了", "，好开心", "，推荐", "，下次还来", "，幸福感爆棚", "，累并快乐着", "，果然没失望",
            "[哈哈]", "☺️", "，今天也是充实的一天", "，日子就该这样过", "，美滋滋", "，值了", "，开心到飞起"]),
}
JOKE_PARTS = {
    "en": (["My brain", "My motivation", "My patience", "My concentration", "My will to adult",
            "My attention span", "My last brain cell", "My head", "My mood"],
           ["crashed", "is down", "has gone offline", "is a total disaster", "has stopped responding",
            "needs a reboot", "just hit a 404", "is in full meltdown", "just blue-screened",
            "threw a critical error", "collapsed completely", "is still buffering", "lost connection"],
           ["after this exam", "after three meetings in a row", "halfway through the lecture", "today",
            "after that workout", "before my first coffee", "after two hours of spreadsheets", "", ""]),
    "de": (["Mein Gehirn", "Meine Motivation", "Meine Geduld", "Meine Konzentration", "Mein Kopf", "Meine Laune",
            "Meine letzte Gehirnzelle"],
           ["ist abgestürzt", "hat einen Totalausfall", "ist offline", "ist komplett eingebrochen",
            "antwortet nicht mehr", "braucht einen Neustart", "meldet einen Systemfehler",
            "ist eine einzige Katastrophe", "lädt noch", "hat ein Funkloch", "hat einen Kurzschluss"],
           ["Nach der Klausur", "Nach drei Meetings am Stück", "Mitten in der Vorlesung", "Heute",
            "Nach dem Sport", "Vor dem ersten Kaffee", "Nach zwei Stunden Excel", "", ""]),
    "zh": (["我的大脑", "我的心态", "我的耐心", "我的脑子", "我的注意力", "我的理智"],
           ["宕机了", "崩了", "彻底瘫痪了", "掉线了", "当场死机", "需要重启", "404了", "蓝屏了", "短路了",
            "信号全无"],
           ["考完试", "开了一天会", "熬了个通宵", "听完老板讲话", "刷完一套题", "做完数学题", "", ""]),
}


def _compose_chatter(demo, lang: str) -> str:
    a, b = CHATTER_PARTS[lang]
    first, second = demo.choice(a), demo.choice(b)
    if lang == "zh":
        return first + second
    if lang == "en":
        if second[:1] in "😊🙌":
            return f"{first} {second}"
        return f"{first}, {second}" if demo.chance(0.5) else f"{first}. {second[:1].upper()}{second[1:]}"
    return f"{first}. {second}" if second[:1].isalnum() else f"{first} {second}"


def _compose_joke(demo, lang: str) -> str:
    subj, pred, ctx = JOKE_PARTS[lang]
    s, p, c = demo.choice(subj), demo.choice(pred), demo.choice(ctx)
    if lang == "zh":
        return f"{c}，{s}{p}" if c else f"{s}{p}"
    if lang == "de":
        return f"{c}: {s} {p}." if c else f"{s} {p}."
    return f"{s} {p} {c}".strip()


# genuine complaints by single users, about nothing that becomes an incident (label 1)
SCATTERED = {
    "en": [
        "My router keeps dropping the wifi every evening around 9, anyone know why? {help}",
        "Charged twice for my March bill, can someone look into this {help}",
        "Power cut on our street in {city}, been dark for half an hour",
        "The lift in our building has been broken for a week, with a pram that's a nightmare",
        "Mobile signal in my flat is basically zero since Monday",
        "Train cancelled again, stuck at {city} station",
        "Water leaking through our kitchen ceiling, waiting for the plumber",
        "My phone screen just went black and won't turn on",
        "Order confirmation never arrived, but the money is gone from my account",
        "The {brand} app shows the wrong data balance for me {help}",
        "Tree down across the road near {city} high street, be careful out there",
        "Streetlights out on our whole road, it's pitch black",
        "Broadband has been slow all week for me, 5 Mbit instead of 100 {help}",
        "Smoke alarm going off in the flat upstairs and nobody's answering",
    ],
    "de": [
        "Mein WLAN bricht abends ständig ab, Router schon dreimal neu gestartet {help}",
        "Februar-Rechnung doppelt abgebucht?? {help}",
        "Stromausfall bei uns in der Straße in {city}, seit einer halben Stunde alles dunkel",
        "Aufzug im Haus seit einer Woche kaputt, die Hausverwaltung reagiert nicht",
        "Mein Zug fällt aus, stehe in {city} am Gleis. Danke für nichts.",
        "Wasserrohrbruch vor unserem Haus, die halbe Straße steht unter Wasser",
        "Handyempfang in meiner Wohnung seit Tagen nur noch ein Balken",
        "Die {brand}-App zeigt mir seit gestern einen falschen Tarif an {help}",
        "Paket als zugestellt markiert, ist aber nicht da",
        "Ampel an der Kreuzung bei uns ist ausgefallen, fahrt vorsichtig!",
        "Internet bei mir seit zwei Tagen extrem langsam, 3 statt 100 Mbit {help}",
        "Heizung im ganzen Haus ausgefallen, es hat 16 Grad in der Wohnung",
        "Gasgeruch im Treppenhaus, Feuerwehr ist schon da",
    ],
    "zh": [
        "家里网速这两天特别慢，晚上看视频一直卡 {help}",
        "这个月话费怎么多扣了50块？{help}",
        "我们小区停电了，电梯也停了，有人被困吗",
        "楼下的水管爆了，整个路口都是水",
        "地铁{n}号线故障停运，大家注意绕行",
        "手机信号在家里只有一格，打电话老断",
        "快递显示签收了但我根本没收到",
        "维络App里的积分突然清零了？{help}",
        "小区门口的红绿灯坏了，过马路小心",
        "宿舍的热水器坏了三天了，没人来修",
        "路由器用了一年，最近老是自己重启",
        "楼道里有烟味，好像哪家着火了，已经打了119",
    ],
}

# noise that comes in a burst but is no incident (label 0): (lang, start UTC, minutes, n, templates)
EVENTS = [
    ("de", datetime(2026, 3, 3, 19, 40, tzinfo=timezone.utc), 125, 52, [
        "Was für ein Tor! 🔥⚽",
        "Der Schiri ist heute eine einzige Katastrophe",
        "Halbzeit. Bisher ein Totalausfall von unserer Abwehr",
        "Abseits?! Niemals!",
        "Unser Torwart heute: Weltklasse 🧤",
        "Dieses Spiel ist nichts für schwache Nerven",
        "2:1!!! Jaaaa!!!",
        "Die Abwehr bricht komplett zusammen 😩",
        "Elfmeter! Das gibt's doch nicht",
        "Der Kommentator ist heute wieder unerträglich",
        "Abpfiff. Verdient gewonnen 💪",
        "Nachspielzeit, ich kann nicht mehr hinschauen",
        "Wer schaut noch mit? #Fußball",
        "Ausgleich in der 89. Minute, ich brauche einen Schnaps",
        "Die zweite Halbzeit ist ein Desaster",
        "Dieser Pass! Dieser Pass!!",
        "Rote Karte. Völlig berechtigt.",
        "Unser Sturm heute: Funkstille",
    ]),
    ("zh", datetime(2026, 3, 3, 10, 30, tzinfo=timezone.utc), 260, 74, [
        "元宵节快乐！今晚吃汤圆🥣",
        "芝麻汤圆才是yyds，不接受反驳",
        "甜汤圆还是咸汤圆？评论区吵起来",
        "和家人一起看元宵晚会",
        "今年的灯会好热闹，人山人海",
        "猜灯谜猜对了三个，奖品是一包瓜子哈哈",
        "元宵节还在加班的举个手",
        "过完元宵，年就算真正过完了",
        "今晚的月亮好圆🌕",
        "一个人在外地过元宵，有点想家",
        "元宵晚会的小品笑死我了",
        "放烟花啦🎆",
        "汤圆煮破了，变成了一锅芝麻糊",
        "今晚灯会人太多了，挤到怀疑人生",
        "元宵节快乐，愿大家团团圆圆",
        "在德国过元宵，自己包了汤圆，味道还行",
        "晚会节目单出来了，期待",
        "北方吃元宵，南方吃汤圆，你们那边吃什么？",
    ]),
    ("en", datetime(2026, 3, 4, 16, 0, tzinfo=timezone.utc), 120, 40, [
        "Watching the {phone_new} keynote, that battery claim is wild",
        "They did a live drop test on stage and the phone survived. Ok, impressed",
        "Preorders open Friday, my wallet is already crying",
        "No charger in the box again? Come on",
        "The camera bump on the {phone_new} is enormous",
        "Keynote was 90 minutes of buzzwords and one good feature",
        "Honestly the best launch event in years",
        "Titanium frame, AI everything, same price. Ok I'm interested",
        "Who else is watching the {phone_new} launch? 📱",
        "That new satellite SOS feature could actually save lives",
        "The {phone_new} in green looks great",
        "I'll wait for the reviews before I get excited about the {phone_new}",
    ]),
]

# --------------------------------------------------------------------------- incidents

INCIDENT_TEXT = {
    "broadband": {
        "de": {
            "main": [
                "Seit heute Morgen kein Internet in {city}. {help} was ist los?",
                "Ist bei euch auch das Internet weg? Hier in {city} geht seit {since} nichts mehr",
                "Router blinkt nur noch rot. Kein DSL, kein Telefon. {help}",
                "Störung in {city}? Weder WLAN noch Festnetz funktionieren",
                "Homeoffice heute ohne Internet. Danke {brand} 🙄",
                "Kein Netz seit {since}, die Hotline ist dauerbesetzt",
                "{brand} hat in {city} offenbar eine Großstörung. Bei uns ist alles tot",
                "Internet weg. Router neu gestartet, Kabel geprüft, nichts. Liegt wohl an {brand}",
                "Kann jemand in {city} bestätigen, dass {brand} gerade ausgefallen ist?",
                "+60|Glasfaser-Modem zeigt 'Keine Verbindung'. Seit über einer Stunde.",
                "Videokonferenz abgebrochen, Internet komplett weg. {city}, {brand}-Kunde",
                "Na toll, ausgerechnet heute fällt das Internet aus. Wichtiger Termin um 10",
                "Die Störungsseite von {brand} sagt 'keine Störung bekannt'. Haha. In {city} geht gar nichts",
                "Auch das Festnetz ist tot. Die Hotline kann ich nur noch übers Handy anrufen",
                "Kind kommt nicht in den Online-Unterricht, Internet seit {since} weg 😤",
                "DSL-Lampe aus, Internet-Lampe aus. {city}. Noch jemand?",
                "Totalausfall bei {brand} in {city}?! Nichts lädt",
                "Seit {since} kein Internet. Wie lange soll das noch dauern {help}?",
                "Die ganze Straße hat kein Internet, hab gerade mit den Nachbarn gesprochen",
                "Bin ich der Einzige in {city} ohne Internet? Router sagt: keine Synchronisation",
                "Internetausfall in {city}, bitte um Infos {help}",
                "WLAN ist da, aber kein Internet. Alle Geräte betroffen. {brand}-Störung?",
                "Mobilfunk ist hier in {city} auch total lahm, vermutlich hängen jetzt alle am Handy",
                "Kunden-Hotline: 'Aufgrund hoher Nachfrage...' Ja, weil euer Netz in {city} tot ist!",
                "Moin {help}, in {city} ist seit {since} das Internet komplett weg. Wisst ihr schon was?",
                "Festnetz und Internet down in {city}. Bei meinen Eltern zwei Straßen weiter auch",
                "Online-Banking, Arbeit, Schule, alles lahmgelegt. Seit {since} kein Internet",
                "Heute früh Router neu gestartet, seitdem gar nichts mehr. Oder liegt's doch an {brand}?",
            ],
            "follow": [
                "+125|Immer noch kein Internet. Seit über zwei Stunden. {help}",
                "+40|Update: in {city} weiterhin alles tot. Keine Info von {brand}",
                "Hotline sagt, es wird daran gearbeitet. Keine Zeitangabe. Super.",
                "+180|Seit drei Stunden offline. Ich arbeite jetzt aus dem Café",
                "Noch immer nichts. Wann ist das endlich behoben?",
                "+165|Internet ist wieder da nach fast drei Stunden Ausfall. Gibt's eine Gutschrift, {brand}?",
            ],
            "short": ["Bei uns auch kein Internet.", "Hier auch alles tot.", "Auch betroffen, {city}.",
                      "Kein Internet hier auch 😡"],
        },
        "en": {
            "main": [
                "No internet in {city} since this morning. {help} any update?",
                "Is {brand} down in {city}? Router shows no DSL sync",
                "Working from home with zero connection. Great start to the day {brand} 🙄",
                "Whole building in {city} lost internet. {brand} outage?",
                "{help} broadband has been dead since {since}, hotline just rings out",
                "Anyone else in {city} without broadband? Lights on the router are red",
                "Internet down, landline down. Can't even call support except from my mobile",
                "Hey {help}, is there an outage in the Frankfurt area? Nothing loads",
                "Lost connection mid-meeting. {brand} broadband completely gone in {city}",
                "No wifi, no internet, and the status page says all good. Sure {brand}",
                "Moved to Germany last month and the internet is already down. {city}, {brand}",
            ],
            "follow": [
                "+125|Still no internet here in {city}. 2+ hours now {help}",
                "Update: still down. No ETA from {brand} support",
                "+175|Going on 3 hours offline. Tethering from my phone 😩",
            ],
            "short": ["Same here, no internet.", "Same in {city}.", "+1 no internet here"],
        },
        "zh": {
            "main": [
                "+150|{city}这边宽带断了一上午，有人一样吗",
                "维络宽带又挂了，德国的网真是服了",
                "从早上{since}开始家里就没网了，路由器一直亮红灯",
                "在{city}的同学，你们家维络的网能用吗？我这完全断了",
                "网课上不了，宽带断了，客服电话也打不通",
                "德国宽带断网，重启路由器三次都没用",
                "+130|{help} {city}断网好几个小时了，什么时候能修好？",
                "居家办公第一天就断网，老板以为我在摸鱼",
                "整栋楼都没网了，问了邻居也是维络的",
                "宽带断了，只能开手机热点，流量快用完了",
                "早上起来发现网断了，座机也打不出去",
                "{city}维络断网了吗？光猫显示没信号",
                "今天早上{city}的维络宽带全挂了，群里好多人都在问",
            ],
            "follow": [
                "+175|已经断了三个小时了，还没恢复",
                "还是没网，维络官网也没有任何通知",
                "+150|打了一上午客服电话，终于接通了，说在抢修",
            ],
            "short": ["我这也断网了", "同断网+1", "{city}也没网"],
        },
    },
    "payment": {
        "zh": {
            "main": [
                "支付宝一直系统繁忙付不了款，维络商城什么情况？",
                "充话费付款失败三次了，钱还被扣了？{help}",
                "维络App续费的时候一直提示“支付失败，请稍后再试”",
                "微信支付不行，支付宝也不行，到底是谁的问题",
                "下单到最后一步就卡住，页面显示错误码{pcode}",
                "给爸妈交宽带费交不了，一直转圈圈",
                "维络商城付款页面打不开，抢的优惠券马上要过期了",
                "是只有我付不了款吗？维络App结算一直失败",
                "扣款成功了但订单显示未支付？？？{help}",
                "信用卡、支付宝都试了，全部支付失败",
                "刚想买个流量包，付款一直报错，服了",
                "维络的支付系统崩了吧，付了三次都失败",
                "支付页面提示“网络异常”，可我网络好好的啊",
                "手机充值一直失败，急着用流量啊",
                "结账的时候点支付没反应，刷新了好几次",
                "元宵节想给家里充个话费都充不上，维络你们在干嘛",
                "{help} 支付一直提示系统繁忙，订单都提交不了",
                "付款失败，银行卡却收到了扣款短信，求解释",
            ],
            "follow": [
                "+60|过了一个小时还是付不了，维络能不能给个说法",
                "还是支付失败，客服说在排查",
                "被扣的钱什么时候退回来？{help}",
            ],
            "short": ["我也付不了款", "同样支付失败+1", "付不了+1"],
        },
        "de": {
            "main": [
                "Zahlung schlägt fehl im {brand}-Shop, jedes Mal Fehler {pcode}",
                "Will meinen Tarif verlängern, aber die Zahlung wird immer abgelehnt. {help}",
                "Kreditkarte funktioniert überall, nur nicht bei {brand}. Der Checkout hängt",
                "PayPal-Zahlung in der {brand}-App bricht ab. Noch jemand?",
                "Geld abgebucht, aber die Bestellung steht auf 'fehlgeschlagen'?? {help}",
                "Checkout bei {brand} kaputt? Nach 'Jetzt bezahlen' kommt nur eine Fehlermeldung",
                "Kann kein Guthaben aufladen, die Zahlung wird abgelehnt",
                "Dreimal versucht zu bezahlen, dreimal Fehler. Ich geb auf.",
                "{help} Bezahlen im Shop geht nicht, Fehler {pcode}. Was ist da los?",
                "+30|Zahlung fehlgeschlagen, bitte später erneut versuchen. Seit einer halben Stunde!",
            ],
            "follow": [
                "+62|Zahlung geht immer noch nicht. Seit über einer Stunde.",
                "Immer noch Fehler {pcode} beim Bezahlen {help}",
            ],
            "short": ["Bei mir auch, Zahlung geht nicht.", "Gleiches Problem beim Bezahlen."],
        },
        "en": {
            "main": [
                "Checkout keeps failing on the {brand} app, error {pcode} every time",
                "{help} payment declined three times, my card works everywhere else",
                "Can't top up my {brand} account, the payment page just spins",
                "Got charged but the order says payment failed?? {help}",
                "Anyone else unable to pay on {brand}? Checkout is broken for me",
                "Tried PayPal and card, both fail at the last step. {brand} what's going on",
                "Trying to renew my plan and payment fails with {pcode}",
            ],
            "follow": ["+60|Still can't pay, an hour later. {help}", "Still getting {pcode} at checkout"],
            "short": ["Same, payment fails for me too.", "+1 checkout broken"],
        },
    },
    "login": {
        "en": {
            "main": [
                "Can't log in to the {brand} app, keeps saying 'Something went wrong'",
                "{help} is login broken? Password reset email never arrives either",
                "Got logged out of the {brand} app and now I can't get back in. Error {lcode}",
                "Web login just spins forever. App too. Is {brand} down?",
                "Is {brand} login down? Tried 5 times, says wrong password but it's definitely right",
                "Can't access my account on the app or the website. {help}",
                "{brand} login page says 'service temporarily unavailable'",
                "Anyone else stuck on the {brand} login screen?",
                "Need to check my bill and can't log in. Error {lcode}. {help}",
                "2FA code arrives, then 'session expired'. Every single time. {brand}",
            ],
            "again": [
                "Again?! Can't log in to {brand}, same as last night",
                "{brand} login down AGAIN? Second evening in a row {help}",
                "Here we go again, {brand} app won't let me log in. Error {lcode}",
            ],
            "follow": ["Still can't log in. {help} any ETA?", "+32|30 min later and still locked out of my account"],
            "short": ["Same, can't log in.", "Can't log in either."],
        },
        "de": {
            "main": [
                "Login in der {brand}-App geht nicht, nur 'Anmeldung fehlgeschlagen'",
                "Kann mich weder in der App noch auf der Website anmelden {help}",
                "Ständig Fehler {lcode} beim Einloggen. Was ist da los?",
                "{brand} hat mich ausgeloggt und jetzt komm ich nicht mehr rein",
                "Passwort zurückgesetzt, trotzdem kein Login möglich. Liegt es an euch, {help}?",
                "Anmeldung hängt in einer Endlosschleife. App und Browser.",
                "Ist der {brand}-Login down? Komme nicht in mein Kundenkonto",
                "Bestätigungscode kommt an, danach 'Sitzung abgelaufen'. Immer wieder.",
                "Wollte nur kurz mein Datenvolumen checken. Login geht nicht. {lcode}",
            ],
            "again": [
                "Schon wieder Login-Probleme bei {brand}, genau wie gestern Abend",
                "Das gibt's doch nicht, {brand}-Login ist wieder down {help}",
                "Zweiter Abend in Folge: keine Anmeldung möglich. Fehler {lcode}",
            ],
            "follow": ["Immer noch kein Login möglich {help}", "+60|Nach einer Stunde immer noch 'Anmeldung fehlgeschlagen'"],
            "short": ["Bei mir auch kein Login.", "Komme auch nicht rein."],
        },
        "zh": {
            "main": [
                "维络App登录不上，一直转圈",
                "登录提示“服务暂时不可用”，是服务器挂了吗",
                "密码明明是对的，就是登不上，{help}",
                "App和网页都登不进去，急着查账单",
                "维络登不上了？错误码{lcode}",
                "被强制退出后就再也登不进去了",
            ],
            "again": ["又登不上了，昨天不是刚修好吗", "维络登录又崩了，连续两天了"],
            "follow": ["+60|还是登不上，已经一个小时了", "登录问题还没好吗？"],
            "short": ["我也登不上", "登不上+1"],
        },
    },
    "website": {
        "de": {
            "main": [
                "Gibt Ihre Site 500 Fehler aus? {help}",
                "{site} zeigt nur 'Internal Server Error'",
                "Die {brand}-Website ist down, überall Fehler 500",
                "Wollte meine Rechnung runterladen, die Website wirft Fehler 500",
                "Kundencenter auf der Website lädt nicht, HTTP 500",
                "Ist nur bei mir die {brand}-Seite kaputt? 500er auf jeder Unterseite",
                "Website von {brand} nicht erreichbar. Schon verschiedene Browser probiert",
                "+30|Wer testet bei euch eigentlich? Website seit einer halben Stunde 500 {help}",
                "Tarifrechner auf der {brand}-Seite: 500 Internal Server Error",
                "Wollte online kündigen, aber {site} gibt nur Fehler 500 aus. Zufall? 😏",
                "Gibt eure Seite gerade 500er aus oder liegt das an mir? {help}",
            ],
            "follow": ["Immer noch 500er auf der Website", "Seite geht weiterhin nicht, Fehler 500 {help}"],
            "short": ["Hier auch Fehler 500.", "Bei mir auch 500."],
        },
        "en": {
            "main": [
                "{brand} website returning 500 errors for anyone else?",
                "{site} is down, just 'Internal Server Error'",
                "Trying to download my bill and the site throws a 500. {help}",
                "Every page on the {brand} website is a 500 right now",
                "{help} your site is broken, HTTP 500 on the account page",
                "Can't even look up the {brand} support number, website gives 500 errors",
                "500 Internal Server Error on {site}. Refreshing doesn't help",
            ],
            "follow": ["Still getting 500s on the site", "Website still broken {help}"],
            "short": ["Same, 500 here too.", "Getting 500s too"],
        },
        "zh": {
            "main": [
                "维络官网打不开了，显示500错误",
                "想在官网查账单，页面一直报 500 Internal Server Error",
                "维络网站挂了？刷新好几次都是服务器错误",
                "官网所有页面都是500，{help}",
                "维络官网服务器错误，想办业务都办不了",
            ],
            "follow": ["官网还是打不开", "+30|过了半小时还是500"],
            "short": ["我这也是500", "官网打不开+1"],
        },
    },
    "app": {
        "en": {
            "main": [
                "{brand} app keeps crashing since the update",
                "Updated the {brand} app this afternoon and now it crashes on launch",
                "App opens for a second, then closes. Version {ver}. {help}",
                "Anyone else's {brand} app crashing after today's update?",
                "Can't use the {brand} app at all, crashes instantly since {ver}",
                "Reinstalled the app twice, still crashing. {help} please fix",
                "New {brand} update = app won't even open. Great.",
                "The {brand} app crashes every time I tap 'My usage'",
                "{help} app crashes on startup on my {phone}, Android 14",
                "Update broke the app. Splash screen, then gone.",
                "Cleared cache, restarted my phone, app still crashes. {ver} is broken",
                "Why does the {brand} app crash the moment I open it?? 😤",
                "{brand} app {ver} on {phone}: instant crash. Rolling back if I can",
                "Can't check my data balance, the {brand} app crashes right after the splash screen",
            ],
            "follow": ["Still crashing. Any ETA on a fix {help}?",
                       "Rolled back to the old version and it works. Something's wrong with {ver}"],
            "short": ["Same, crashes on open.", "Mine too, crashes since the update.", "Same here 😩"],
        },
        "de": {
            "main": [
                "App stürzt seit dem Update ständig ab {help}",
                "Neue App-Version startet nicht, schließt sich sofort wieder",
                "Seit Version {ver} crasht die {brand}-App bei jedem Start",
                "Update installiert, App geht nicht mehr. Android 14, {phone}",
                "Die {brand}-App stürzt bei mir direkt nach dem Öffnen ab. Noch jemand?",
                "App neu installiert, stürzt trotzdem ab. Bitte fixen!",
                "Nach dem Update von heute ist die {brand}-App unbrauchbar, Absturz beim Start",
            ],
            "follow": ["Immer noch Absturz beim Start {help}", "Weiterhin kaputt, Version {ver}"],
            "short": ["Bei mir auch, Absturz nach dem Update."],
        },
        "zh": {
            "main": [
                "维络App更新之后一打开就闪退",
                "新版本{ver}闪退，安卓手机，{help}",
                "App更新完直接用不了了，点开就崩",
                "卸载重装了两次还是闪退",
                "维络App一点“我的流量”就闪退，更新后才这样",
            ],
            "follow": ["还是闪退，什么时候修复？"],
            "short": ["我也闪退", "闪退+1"],
        },
    },
    "sms": {
        "zh": {"main": ["维络的验证码怎么半天收不到？登录银行要用啊",
                        "短信验证码延迟了十几分钟才到，维络的网络有问题吗",
                        "收不到短信，试了好几次了 {help}",
                        "验证码到现在都没收到，急死了"], "follow": [], "short": []},
        "en": {"main": ["SMS codes arriving 15 min late on {brand}, anyone else?"], "follow": [], "short": []},
    },
}

INCIDENT_SLOTS = {
    "broadband": {
        "de": {"city": ["Frankfurt", "Offenbach", "Mainz", "Wiesbaden", "Darmstadt", "Hanau", "Bad Homburg",
                        "Rüsselsheim", "Frankfurt-Bornheim", "Sachsenhausen", "Bockenheim", "Mainz-Kastel"],
               "since": ["kurz vor 7", "heute früh", "dem Aufstehen", "etwa zehn vor 7"]},
        "en": {"city": ["Frankfurt", "Mainz", "Darmstadt", "Offenbach", "Wiesbaden", "Bad Homburg"],
               "since": ["just before 7", "early this morning", "about 7"]},
        "zh": {"city": ["法兰克福", "美因茨", "达姆施塔特", "奥芬巴赫", "威斯巴登", "哈瑙"],
               "since": ["六点多", "快七点", "七点左右"]},
    },
    "payment": {lang: {"pcode": ["P-402", "P-402", "P-402", "PAY_503", "TX-TIMEOUT"]} for lang in ("en", "de", "zh")},
    "login": {lang: {"lcode": ["LGN-503", "LGN-503", "401", "AUTH-17"]} for lang in ("en", "de", "zh")},
    "website": {lang: {"site": SITE} for lang in ("en", "de", "zh")},
    "app": {lang: {"ver": ["5.2.0", "5.2.0", "v5.2", "5.2.0 (build 5204)"]} for lang in ("en", "de", "zh")},
    "sms": {},
}

TAGS = {
    "broadband": {"de": ["#Störung", "#Internetausfall", "#Velonet", "#Frankfurt", "#Homeoffice"],
                  "en": ["#outage", "#Velonet", "#nointernet"], "zh": ["#维络断网#", "#德国宽带#"]},
    "payment": {"zh": ["#维络支付失败#", "#付款失败#"], "de": ["#Velonet", "#Zahlung"], "en": ["#Velonet", "#checkout"]},
    "login": {"en": ["#Velonet", "#login", "#down"], "de": ["#Velonet", "#Login", "#Störung"], "zh": ["#维络登录不上#"]},
    "website": {"de": ["#Velonet", "#Fehler500", "#Website"], "en": ["#Velonet", "#500error", "#down"],
                "zh": ["#维络官网崩了#"]},
    "app": {"en": ["#Velonet", "#appcrash", "#Android", "#bug"], "de": ["#Velonet", "#App", "#Update"],
            "zh": ["#维络App闪退#"]},
    "sms": {"zh": ["#验证码#"], "en": ["#SMS"]},
}
NOISE_TAGS = {"en": ["#mood", "#relatable", "#coffee", "#spring", "#wfh", "#tbt", "#life"],
              "de": ["#Alltag", "#Frühling", "#Kaffee", "#Homeoffice", "#Feierabend", "#Leben"],
              "zh": ["#打工人日常#", "#今日份快乐#", "#春天来了#", "#周末去哪儿#"]}

# noise about the incidents (label 0): jokes, schadenfreude, "hope they fix it soon"
INCIDENT_NOISE = {
    "en": ["hope they fix it soon lol", "The memes about {topic} are top tier 😂", "Glad I'm not with {brand} today 😅",
           "My whole timeline is people yelling about {topic}", "Thoughts and prayers to the {brand} on-call engineers 🙏",
           "Somebody at {brand} is having a very long day", "Reading the replies under {help} is better than Netflix",
           "Not affected, but this timeline is wild", "Bet they'll offer everyone a £2 credit and call it a day"],
    "de": ["Die Memes über {topic} sind echt gut 😂", "Hoffentlich kriegen die das bald hin lol",
           "Zum Glück bin ich nicht bei {brand} 😅",
           "Meine Timeline besteht nur noch aus Leuten, die sich über {topic} aufregen",
           "Grüße an die armen Techniker bei {brand}, die heute Überstunden schieben 🙏",
           "Wetten, dass es morgen eine Gutschrift von 2 € gibt? 😂",
           "Ich les mir grad die Kommentare zu {topic} durch, herrlich", "Popcorn bereit, die {brand}-Timeline ist heute Kino 🍿"],
    "zh": ["希望赶紧修好吧哈哈", "评论区都在骂维络，笑死", "还好我不是维络用户", "维络的运维今天要加班到半夜了吧",
           "热搜上都是{topic}，吃瓜中🍉", "心疼维络客服一秒", "每次出问题我都庆幸自己没换运营商"],
}
TOPIC = {
    "broadband": {"en": "the {brand} outage", "de": "die {brand}-Störung", "zh": "维络断网"},
    "payment": {"en": "{brand} payments breaking", "de": "das Bezahlchaos bei {brand}", "zh": "维络支付失败"},
    "login": {"en": "the {brand} login thing", "de": "den {brand}-Login", "zh": "维络登录不上"},
    "website": {"en": "the {brand} website", "de": "die {brand}-Website", "zh": "维络官网崩了"},
    "app": {"en": "the {brand} app update", "de": "das {brand}-App-Update", "zh": "维络App闪退"},
}

INCIDENTS = [
    dict(id="broadband-outage-rheinmain", key="broadband", team="network",
         start=datetime(2026, 3, 3, 5, 52, tzinfo=timezone.utc), declared_after=48,
         title="Broadband and landline outage in the Rhein-Main region (Frankfurt, Mainz, Darmstadt, Offenbach, Wiesbaden)",
         langs={"de": 112, "zh": 30, "en": 14}, profile=(12, 110, 80),
         viral=dict(kind="rt", lang="de", n=30, author="@ffm_lena", at=38,
                    text="Ganz Rhein-Main ohne Internet? Bei uns in Frankfurt seit kurz vor 7 alles tot, Hotline dauerbesetzt. "
                         "@VelonetHilfe bitte informiert eure Kunden! #Störung")),
    dict(id="payment-checkout-failure", key="payment", team="payments",
         start=datetime(2026, 3, 3, 11, 48, tzinfo=timezone.utc), declared_after=35,
         title="Payments fail at checkout in the Velonet shop and app (Alipay, WeChat Pay, cards, PayPal)",
         langs={"zh": 86, "de": 26, "en": 20}, profile=(10, 70, 50),
         viral=dict(kind="weibo", lang="zh", n=12, author="奶茶续命中", at=22,
                    text="维络商城付款一直失败，支付宝提示系统繁忙，钱被扣了订单却显示未支付！@维络客服 请尽快处理！#维络支付失败#")),
    dict(id="login-outage-day1", key="login", team="mobile-app",
         start=datetime(2026, 3, 3, 17, 5, tzinfo=timezone.utc), declared_after=27,
         title="Login fails in the Velonet app and web account (error LGN-503)",
         langs={"en": 24, "de": 27, "zh": 8}, profile=(8, 40, 30)),
    dict(id="sms-code-delay", key="sms", team="network",
         start=datetime(2026, 3, 4, 2, 40, tzinfo=timezone.utc), declared_after=85,
         title="SMS verification codes delayed (minor, stayed small)",
         langs={"zh": 4, "en": 1}, profile=(5, 45, 0)),
    dict(id="website-500-errors", key="website", team="website",
         start=datetime(2026, 3, 4, 8, 20, tzinfo=timezone.utc), declared_after=22,
         title="velonet.example returns HTTP 500 errors on all pages",
         langs={"de": 44, "en": 26, "zh": 17}, profile=(10, 45, 30)),
    dict(id="app-crash-android-5-2", key="app", team="mobile-app",
         start=datetime(2026, 3, 4, 13, 30, tzinfo=timezone.utc), declared_after=64,
         title="Android app 5.2.0 crashes on launch after the update",
         langs={"en": 72, "de": 24, "zh": 15}, profile=(15, 100, 90),
         viral=dict(kind="rt", lang="en", n=24, author="@dev_marcus", at=45,
                    text="PSA: the Velonet app 5.2.0 crashes on launch on Android. Reinstalling doesn't help, "
                         "don't bother. @VelonetHelp pls fix 🙏")),
    dict(id="login-outage-day2", key="login", team="mobile-app", again=True,
         start=datetime(2026, 3, 4, 18, 40, tzinfo=timezone.utc), declared_after=31,
         title="Login fails in the Velonet app and web account again (error LGN-503), recurrence of day 1",
         langs={"en": 30, "de": 36, "zh": 10}, profile=(6, 50, 30)),
]

WEIBO_COMMENTS = ["同问", "我也是！", "+1", "一样付不了", "", "", "求解决", "转发微博", "坐等官方回复"]

# --------------------------------------------------------------------------- routes

ROUTES = {
    "network": ("Broadband, DSL/fibre, landline and mobile network outages or slow connections, incl. SMS delivery.",
                ["kein Internet seit heute Morgen, Router blinkt rot", "no internet, router shows no DSL sync",
                 "宽带断了一上午，光猫没信号", "mobile data not working", "验证码短信收不到", "Festnetz tot"]),
    "payments": ("Payment and checkout failures in the shop and app: declined cards, PayPal, Alipay, WeChat Pay, top-ups.",
                 ["Zahlung schlägt fehl beim Checkout", "payment declined at checkout, charged but order failed",
                  "支付宝一直系统繁忙付不了款", "充值失败", "can't top up my account"]),
    "mobile-app": ("The mobile app: crashes, freezes, login and sign-in problems in app and account.",
                   ["app keeps crashing since the update", "App stürzt beim Start ab",
                    "登录不上，一直转圈", "Anmeldung fehlgeschlagen", "can't log in, session expired"]),
    "website": ("The public website and web customer centre: site down, HTTP 500/502/503 errors, pages not loading.",
                ["website returns 500 Internal Server Error", "Gibt Ihre Site 500 Fehler aus?",
                 "官网打不开，显示500错误", "Kundencenter lädt nicht"]),
    "billing": ("Invoices and charges: wrong or double charges, wrong tariff shown, refunds.",
                ["charged twice for my bill", "Rechnung doppelt abgebucht", "话费多扣了", "falscher Tarif in der Rechnung"]),
}


# openers and closers that people put around what they say, per kind of post: (openers, closers)
DECOR = {
    "chatter": {
        "en": (["Ok so ", "Honestly, ", "Random thought: ", "Confession: ", "Not gonna lie, ", "So ", "Small update: "],
               ["anyway", "lol", "What a day", "10/10", "small wins", "can't complain", "ok bye", "that's all"]),
        "de": (["Puh. ", "So. ", "Tja. ", "Hach. ", "Kleine Info am Rande: ", "Geständnis: ", "Ach ja. "],
               ["Einfach so.", "Läuft.", "So isses.", "Ende der Durchsage.", "Wie ist das bei euch?", "Herrlich.",
                "Kann man machen."]),
        "zh": (["啊啊啊", "说真的，", "今日份碎碎念：", "哈哈哈哈", "emmm", "家人们，", "记录一下：", "突然想说，"],
               ["哈哈哈", "～", "，有没有同感", "，谁懂啊", "，绝了", "，就这样", "，开心", "，冲鸭", "，美滋滋"]),
    },
    "praise": {
        "en": (["Honestly, ", "Not gonna lie, ", "Credit where it's due: ", "Ok, "],
               ["10/10", "👏", "no complaints", "impressed", "more of this please"]),
        "de": (["Ganz ehrlich: ", "Lob, wo Lob hingehört: ", "Muss auch mal sein: "],
               ["Top!", "👏", "Weiter so.", "Sehr gut.", "Daumen hoch."]),
        "zh": (["说真的，", "必须夸一下，", "不得不说，"], ["，好评", "，点赞", "👍", "，继续保持", "，满意"]),
    },
    "opinion": {
        "en": (["Hot take: ", "Unpopular opinion: ", "Honestly, ", "Just saying: ", "Rant: "],
               ["just saying", "tbh", "fight me", "change my mind", "rant over"]),
        "de": (["Meinung: ", "Ganz ehrlich: ", "Mal ehrlich: ", "Unpopuläre Meinung: "],
               ["Ich sag's ja nur.", "Punkt.", "Seh ich das falsch?", "So.", "Ende der Durchsage."]),
        "zh": (["说真的，", "个人观点：", "吐槽一下：", "不吐不快，"], ["，你们觉得呢", "，就这样", "，不接受反驳", "，谁懂"]),
    },
    "joke": {
        "en": (["lol ", "Ok so ", "Status report: ", "Update: ", "Today: "],
               ["lol", "send help", "send snacks", "😅", "help", "rip"]),
        "de": (["Statusbericht: ", "Tja. ", "Puh. ", "Lagebericht: "], ["😅", "Hilfe.", "Ich sag's ja nur.", "Läuft.", "🙈"]),
        "zh": (["救命，", "哈哈哈哈", "今日状态：", "我宣布，"], ["哈哈哈", "，笑死", "，救命", "，谁懂啊", "，哭了"]),
    },
    "news": {
        "en": (["Hm. ", "Huh. ", "Worth a read: "], ["Thoughts?", "We'll see.", "Not surprised."]),
        "de": (["Hm. ", "Interessant: ", "Lesenswert: "], ["Was meint ihr?", "Mal sehen.", "Wenig überraschend."]),
        "zh": (["刚看到，", "转发一下：", "看到一个新闻："], ["，大家怎么看", "，有意思", "，拭目以待"]),
    },
    "event": {
        "en": (["Ok ", "Wow. ", "Honestly, "], ["👀", "we'll see", "tbh"]),
        "de": (["Boah. ", "Wahnsinn. ", "Ey! "], ["⚽", "Was ein Abend!", "Unfassbar."]),
        "zh": (["啊啊啊", "天哪，", "哈哈哈哈"], ["，太好看了", "～", "，绝了", "，开心"]),
    },
    "incnoise": {
        "en": (["lol ", "Honestly, "], ["lol", "😅", "🍿"]),
        "de": (["Tja. ", "Puh. "], ["😅", "🍿", "Ich sag's ja nur."]),
        "zh": (["哈哈哈哈", "笑死，"], ["[doge]", "🍿", "，吃瓜"]),
    },
    "issue": {
        "en": (["Ugh. ", "Seriously? ", "Hey, ", "Come on. ", "Great. ", "Wow. ", "Umm "],
               ["Any ideas?", "Ridiculous.", "Please fix.", "Day ruined.", "Anyone?", "Not impressed.",
                "Any update?", "This is getting old.", "Help pls"]),
        "de": (["Ernsthaft? ", "Ähm. ", "Moin! ", "Hallo?! ", "Leute! ", "Na super. ", "Hilfe! "],
               ["Nervig.", "Bitte fixen.", "Echt jetzt?", "Hat jemand Infos?", "Unglaublich.", "Danke für nichts.",
                "Wie lange noch?", "Das nervt gewaltig.", "Jemand eine Ahnung?"]),
        "zh": (["救命，", "服了，", "无语，", "急！", "求助：", "离谱，", "有没有人知道，", "真的会谢，"],
               ["，求助", "，太离谱了", "，怎么回事啊", "，急", "，有人一样吗", "，烦死了", "，到底什么时候好",
                "，服了"]),
    },
}
KEEP_CASE = ("I ", "I'", "Velonet", "PSA", "RT ", "SMS", "ANY")
_LABEL_START = re.compile(r"^[^ ]+( [^ ]+)?: ")
_CJK = re.compile(r"[\u4e00-\u9fff]")


# =========================================================================== generator

_SLOT = re.compile(r"\{(\w+)\}")
_MIN_AFTER = re.compile(r"^\+(\d+)\|")


def _min_after(template: str) -> tuple[int, str]:
    """Templates may start with '+NN|': only said NN or more minutes after the onset."""
    m = _MIN_AFTER.match(template)
    return (int(m.group(1)), template[m.end():]) if m else (0, template)
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
NEG_EMOJI = ["😡", "🙄", "😤", "😩", "🤬", "😭", "🤦", "😒", "👎", "😠"]
POS_EMOJI = ["😂", "😅", "🙌", "👍", "❤️", "✨", "😊", "🤷", "🙈", "☕", "😎"]
WEIBO_NEG = ["[怒]", "[抓狂]", "[泪]", "[允悲]", "[衰]", "[晕]", "[哼]", "[委屈]"]
WEIBO_POS = ["[哈哈]", "[doge]", "[笑cry]", "[心]", "[赞]", "[可爱]", "[二哈]", "[嘻嘻]", "[允悲]"]
# emoji by kind of post: (unicode, Weibo bracket codes); news gets none
EMOJI = {
    "issue": (NEG_EMOJI, WEIBO_NEG),
    "chatter": (POS_EMOJI, WEIBO_POS),
    "praise": (["👍", "🙌", "👏", "❤️", "✨", "😊"], ["[赞]", "[心]", "[good]", "[哈哈]"]),
    "opinion": (["🤷", "🙄", "🤔", "😅"], ["[doge]", "[思考]", "[允悲]", "[摊手]"]),
    "joke": (["😂", "😅", "🙈", "💀", "🫠"], ["[笑cry]", "[允悲]", "[二哈]", "[doge]"]),
    "news": ([], []),
    "event": (["🔥", "😍", "🙌", "😂", "👀"], ["[哈哈]", "[心]", "[赞]", "[嘻嘻]"]),
    "incnoise": (["😂", "😅", "🍿", "🙈"], ["[doge]", "[笑cry]", "[吃瓜]", "[二哈]"]),
}
# local-time rhythm (hour 0..23): quiet at night, lunch bump, evening peak
HOURLY = np.array([0.9, 0.55, 0.32, 0.2, 0.15, 0.2, 0.4, 0.8, 1.2, 1.3, 1.3, 1.4,
                   1.6, 1.5, 1.3, 1.3, 1.4, 1.6, 1.8, 2.0, 2.1, 2.0, 1.7, 1.3])
TZ = {"de": [(1, 1.0)], "zh": [(8, 1.0)], "en": [(0, 0.65), (-5, 0.35)]}
PLATFORMS = {"en": (["twitter", "facebook", "forum"], [0.6, 0.25, 0.15]),
             "de": (["twitter", "facebook", "forum"], [0.5, 0.25, 0.25]),
             "zh": (["weibo", "forum"], [0.82, 0.18])}


class Demo:
    def __init__(self, seed: int = SEED):
        self.rng = np.random.default_rng(seed)
        self.slots = _slots()
        self.used_authors: set[str] = set()
        self.posts: list[dict] = []
        self.pools: dict[str, list[tuple[str, str]]] = {}
        self.pool_w: dict[str, np.ndarray] = {}
        self.decks: dict[tuple, list[str]] = {}
        self.n_incident_noise = 0

    # ----------------------------------------------------------------- small helpers
    def choice(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def draw(self, key: tuple, templates: list[str]) -> str:
        """Draw from a shuffled deck, so templates repeat only after all were used."""
        deck = self.decks.get(key)
        if not deck:
            deck = [templates[i] for i in self.rng.permutation(len(templates))]
            self.decks[key] = deck
        return deck.pop()

    def draw_at(self, key: tuple, templates: list[str], minutes: float) -> str:
        """Draw a template whose words fit a post this many minutes after the onset."""
        for _ in range(2 * len(templates)):
            raw = self.draw(key, templates)
            need, tmpl = _min_after(raw)
            if minutes >= need:
                return tmpl
            if self.decks[key]:
                self.decks[key].insert(0, raw)      # keep it for later in the deck
        eligible = [t for t in templates if _min_after(t)[0] <= minutes]
        return _min_after(self.choice(eligible))[1]

    def token(self, n: int) -> str:
        return "".join(_ALNUM[i] for i in self.rng.integers(0, len(_ALNUM), n))

    def url(self, lang: str, platform: str) -> str:
        if platform == "weibo":
            return "http://t.cn/A6" + self.token(6)
        if platform == "twitter":
            return "https://t.co/" + self.token(10)
        return self.choice(["https://velonet.example/angebote", "https://bit.ly/" + self.token(7),
                            "https://velonet.example/shop", "https://news.example.com/" + self.token(8)])

    def fill(self, template: str, lang: str, platform: str, extra: dict | None = None,
             when: datetime | None = None) -> str:
        def rep(m):
            name = m.group(1)
            if name == "url":
                return self.url(lang, platform)
            if name == "weekday":
                assert when is not None
                return WEEKDAY[lang][self.local(when, lang).weekday()]
            value = extra[name] if extra and name in extra else self.slots[lang][name]
            return self.choice(value) if isinstance(value, (list, tuple)) else value
        return _SLOT.sub(rep, template)

    def local(self, when: datetime, lang: str) -> datetime:
        return when + timedelta(hours=TZ[lang][0][0])

    # ----------------------------------------------------------------- authors
    def new_author(self, lang: str, platform: str | None = None) -> tuple[str, str]:
        if platform is None:
            names, w = PLATFORMS[lang]
            platform = names[int(self.rng.choice(len(names), p=w))]
        for _ in range(1000):
            name = self._author_name(lang, platform)
            if name not in self.used_authors:
                self.used_authors.add(name)
                return name, platform
        raise RuntimeError("could not find a fresh author name")

    def _author_name(self, lang: str, platform: str) -> str:
        if lang == "zh":
            r = self.rng.random()
            if r < 0.12:
                return "用户" + str(int(self.rng.integers(1_000_000_000, 7_999_999_999)))
            if r < 0.40:
                return self.choice(ZH_ADJ) + "的" + self.choice(ZH_NOUN)
            if r < 0.70:
                return self.choice(ZH_PRE) + self.choice(ZH_CORE) + self.choice(ZH_SUF)
            if r < 0.85:
                return self.choice(ZH_FIXED) + self.choice(["", "", "_", "2025", "88", "吖"])
            return self.choice(ZH_CITY_NICK) + self.choice(ZH_CITY_ROLE) + self.choice(["", "", "1", "2", "_"])
        first_raw = self.choice(EN_FIRST if lang == "en" else DE_FIRST)
        last_raw = self.choice(EN_LAST if lang == "en" else DE_LAST)
        if platform == "facebook":
            cap = (lambda s: s[:1].upper() + s[1:]) if lang == "en" else (lambda s: s)
            if lang == "en" and last_raw == "obrien":
                last_raw = "O'Brien"
            return f"{cap(first_raw)} {cap(last_raw)}"
        f, l = _translit(first_raw.lower()), _translit(last_raw.lower()).replace("'", "")
        yy = str(int(self.rng.integers(70, 100)) if self.chance(0.6) else int(self.rng.integers(0, 10))).zfill(2)
        patterns = [f"{f}_{l[0]}", f"{f}{l}", f"{f}_{l}", f"{f}{l[:3]}{yy}", f"{l}{f[0]}", f"the{f}{l[0]}",
                    f"{f}{yy}", f"{f[0]}{l}", f"{f}_{l}{yy}", f"{l}_{f}", f"{f}.{l[0]}", f"{f}{l[0]}{yy}"]
        handle = self.choice(patterns)
        if platform == "twitter":
            return "@" + handle.replace(".", "_")[:15]
        return handle + (self.choice(["", "", "_ffm", "_de", "2000", "_x"]) if lang == "de" else self.choice(["", "", "1", "_uk"]))

    def build_pools(self) -> None:
        for lang, size in (("en", 520), ("de", 520), ("zh", 520)):
            self.pools[lang] = [self.new_author(lang) for _ in range(size)]
            w = 1.0 / (np.arange(size) + 6.0)
            self.pool_w[lang] = w / w.sum()

    def pool_author(self, lang: str) -> tuple[str, str]:
        return self.pools[lang][int(self.rng.choice(len(self.pools[lang]), p=self.pool_w[lang]))]

    # ----------------------------------------------------------------- times
    def noise_time(self, lang: str) -> datetime:
        offsets, weights = zip(*TZ[lang])
        off = offsets[int(self.rng.choice(len(offsets), p=weights))]
        while True:
            minute = float(self.rng.uniform(0, SPAN_MIN))
            hour = int(((minute / 60.0) + off) % 24)
            if self.rng.random() < HOURLY[hour] / HOURLY.max():
                return T0 + timedelta(seconds=int(minute * 60))

    def incident_offsets(self, n: int, profile: tuple[int, int, int]) -> np.ndarray:
        """Minutes after onset: a few first reports, a burst (beta-shaped), then an exponential tail."""
        ramp, burst, tail = profile
        if n <= 6:
            return np.sort(self.rng.uniform(3, ramp + burst, n))
        n_early = max(2, round(0.06 * n))
        n_tail = round(0.18 * n)
        n_burst = n - n_early - n_tail
        early = self.rng.uniform(2, ramp, n_early)
        mid = ramp + burst * self.rng.beta(2.0, 3.2, n_burst)
        # the tail overlaps the end of the burst, so the decay is smooth
        late = ramp + 0.6 * burst + np.minimum(self.rng.exponential((0.4 * burst + tail) / 2.5, n_tail),
                                                0.4 * burst + tail)
        return np.sort(np.concatenate([early, mid, late]))

    # ----------------------------------------------------------------- text variation
    def typo(self, text: str) -> str:
        words = [m for m in re.finditer(r"(?<![@#/\w])[A-Za-zÄÖÜäöüß]{5,}", text)]
        if not words:
            return text
        m = self.choice(words)
        w = m.group(0)
        i = int(self.rng.integers(1, len(w) - 1))
        kind = int(self.rng.integers(3))
        if kind == 0:
            w2 = w[:i] + w[i + 1] + w[i] + w[i + 2:]
        elif kind == 1:
            w2 = w[:i] + w[i + 1:]
        else:
            w2 = w[:i] + w[i] + w[i:]
        return text[:m.start()] + w2 + text[m.end():]

    def decorate(self, text: str, lang: str, cat: str) -> str:
        """Sometimes put an opener in front and a closer behind, as people do."""
        openers, closers = DECOR[cat][lang]
        p = 0.26 if cat == "issue" else 0.3
        if self.chance(p) and not _LABEL_START.match(text) and text[:1] not in "@#【":
            opener = self.choice(openers)
            if lang == "en" and not text.startswith(KEEP_CASE) and (opener.rstrip()[-1].isalnum() or opener.endswith(", ")):
                text = text[:1].lower() + text[1:]
            if opener.strip(" ，：:.!?！") not in text:
                text = opener + text
        if self.chance(p):
            closer = self.choice(closers)
            if closer.strip(" ，.!?").lower() in text.lower():
                return text
            if lang == "zh":
                if text[-1:] in "，。！？!?～…]）】" or (ord(text[-1]) > 0x2500 and not _CJK.match(text[-1:])):
                    closer = closer.lstrip("，")
                text = text + closer
            else:
                tail = text[-1:]
                sep = ". " if tail.isalnum() else " "
                if lang == "en" and closer[:1].islower() and tail.isalnum():
                    sep = ", " if self.chance(0.5) else " "
                text = text + sep + closer
        return text

    def vary(self, text: str, lang: str, platform: str, kind: str, key: str | None = None,
             cat: str | None = None) -> str:
        """Add the mess of real posts: mentions, hashtags, emoji, typos, casing, punctuation."""
        base = text
        issue = kind == "issue"
        cat = cat or ("issue" if issue else "chatter")
        text = self.decorate(text, lang, cat)
        uni, weibo = EMOJI[cat]
        if lang == "zh":
            if self.chance(0.12):
                text = text.replace("，", " ")
            if self.chance(0.10) and (text[-1:] in "。！!？?" or _CJK.match(text[-1:])):
                ends = ["！！", "。。。", "…", "！！！"] + (["？？"] if ("？" in text or "?" in text) else [])
                text = text.rstrip("。！!？?") + self.choice(ends)
            if weibo and self.chance(0.30 if platform == "weibo" else 0.08):
                text += self.choice(weibo)
            elif uni and not _ends_emoji(text) and self.chance(0.10):
                text += self.choice(uni)
            if issue and HELP["zh"] not in text and self.chance(0.15):
                text += " " + HELP["zh"]
            if platform == "weibo" and self.chance(0.18 if issue else 0.06):
                tag = self.choice(TAGS[key]["zh"] if issue and key else NOISE_TAGS["zh"])
                text = tag + text if self.chance(0.6) else text + tag
        else:
            if issue and HELP[lang] not in text and self.chance(0.16):
                text = (HELP[lang] + " " + text) if self.chance(0.5) else (text + " " + HELP[lang])
            if self.chance(0.10):
                text = self.typo(text)
            r = self.rng.random()
            if r < 0.06 and "http" not in text:
                text = text.lower()
            elif r < 0.12 and text[:1].isupper():
                text = text[0].lower() + text[1:]
            elif issue and lang == "en" and r < 0.14:
                text = text.upper()
            if lang == "de" and self.chance(0.03):
                text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
            if self.chance(0.10):
                text = text.rstrip(".") + self.choice(["!!", "...", "?!", "!!!", " ."]) if issue else text.rstrip(".")
            if uni and not _ends_emoji(text) and self.chance(0.22 if issue else 0.12):
                text += " " + self.choice(uni)
            if platform == "twitter" and self.chance(0.16 if issue else 0.06):
                text += " " + self.choice(TAGS[key][lang] if issue and key else NOISE_TAGS[lang])
            if issue and platform == "twitter" and self.chance(0.04):
                text += " https://t.co/" + self.token(10)
        text = re.sub(r"\s+", " ", text).strip()
        return text if len(text) <= MAX_LEN else base

    # ----------------------------------------------------------------- emit
    def add(self, when: datetime, text: str, lang: str, author: tuple[str, str], label: int, incident: str = "") -> None:
        assert T0 <= when < T1, when
        assert 0 < len(text) <= MAX_LEN, (len(text), text)
        self.posts.append(dict(created_at=when, text=text, lang=lang, platform=author[1], author=author[0],
                               label=label, incident_id=incident))

    # ----------------------------------------------------------------- parts of the stream
    def make_incidents(self) -> list[dict]:
        rows = []
        for spec in INCIDENTS:
            key, inc_id, start = spec["key"], spec["id"], spec["start"]
            ids_before = len(self.posts)
            for lang, n in spec["langs"].items():
                self._incident_lang(spec, lang, n)
            if "viral" in spec:
                self._viral(spec)
            first = min(p["created_at"] for p in self.posts[ids_before:])
            declared = (first + timedelta(minutes=spec["declared_after"])).replace(second=0)
            rows.append(dict(incident_id=inc_id, start=start, declared=declared, title=spec["title"],
                             team=spec["team"], first_report=first))
            # noise about the incident: jokes, schadenfreude (label 0, no incident_id)
            n_posts = len(self.posts) - ids_before
            if key in TOPIC:
                ramp, burst, tail = spec["profile"]
                langs = list(spec["langs"])
                weights = np.array([spec["langs"][lg] for lg in langs], float)
                for _ in range(round(0.12 * n_posts)):
                    lang = langs[int(self.rng.choice(len(langs), p=weights / weights.sum()))]
                    when = start + timedelta(seconds=int(self.rng.uniform(20, 20 + burst + tail) * 60))
                    author = self.pool_author(lang)
                    topic = self.fill(TOPIC[key][lang], lang, author[1])
                    text = self.fill(self.draw(("incnoise", lang), INCIDENT_NOISE[lang]), lang, author[1],
                                     {"topic": topic})
                    self.add(when, self.vary(text, lang, author[1], "noise", cat="incnoise"), lang, author, 0)
                    self.n_incident_noise += 1
        return rows

    def _incident_lang(self, spec: dict, lang: str, n: int) -> None:
        key, inc_id, start = spec["key"], spec["id"], spec["start"]
        bank = INCIDENT_TEXT[key][lang]
        extra = INCIDENT_SLOTS[key].get(lang, {})
        n_follow = round(0.10 * n) if n >= 10 else 0
        n_short = round(0.05 * n) if bank["short"] else 0
        n_first = n - n_follow
        offsets = self.incident_offsets(n_first, spec["profile"])
        short_at = set(self.rng.choice(np.arange(2, n_first), size=n_short, replace=False).tolist()) if n_short else set()
        firsts = []
        for i, off in enumerate(offsets):
            when = start + timedelta(seconds=int(off * 60))
            # most reporters are new voices; some also chat in the background stream
            author = self.pool_author(lang) if self.chance(0.25) else self.new_author(lang)
            if i in short_at:
                text = self.fill(self.choice(bank["short"]), lang, author[1], extra, when)
            else:
                if spec.get("again") and bank.get("again") and self.chance(0.3):
                    tmpl = self.draw_at((key, lang, "again"), bank["again"], off)
                else:
                    tmpl = self.draw_at((key, lang, "main"), bank["main"], off)
                text = self.vary(self.fill(tmpl, lang, author[1], extra, when), lang, author[1], "issue", key)
            self.add(when, text, lang, author, 1, inc_id)
            firsts.append((when, author, off))
        # the same people again, 20-90 minutes later
        ramp, burst, _ = spec["profile"]
        candidates = [f for f in firsts if f[2] < ramp + burst]
        for j in self.rng.choice(len(candidates), size=min(n_follow, len(candidates)), replace=False):
            when0, author, _ = candidates[int(j)]
            when = when0 + timedelta(seconds=int(self.rng.uniform(20, 90) * 60))
            need, tmpl = _min_after(self.draw((key, lang, "follow"), bank["follow"]))
            when = max(when, start + timedelta(seconds=int((need + self.rng.uniform(0, 15)) * 60)))
            text = self.vary(self.fill(tmpl, lang, author[1], extra, when), lang, author[1], "issue", key)
            self.add(when, text, lang, author, 1, inc_id)

    def _viral(self, spec: dict) -> None:
        v = spec["viral"]
        lang, start = v["lang"], spec["start"]
        t0 = start + timedelta(minutes=v["at"])
        platform = "twitter" if v["kind"] == "rt" else "weibo"
        origin = (v["author"], platform)
        self.used_authors.add(v["author"])
        self.add(t0, v["text"], lang, origin, 1, spec["id"])
        for k in range(v["n"]):
            when = t0 + timedelta(seconds=int(60 + self.rng.exponential(22.0) * 60))
            author = self.new_author(lang, platform)
            if v["kind"] == "rt":
                text = f"RT {v['author']}: {v['text']}"
            else:
                text = f"{self.choice(WEIBO_COMMENTS)}//@{v['author']}:{v['text']}"
            self.add(when, text[:MAX_LEN], lang, author, 1, spec["id"])

    def make_events(self) -> None:
        for lang, start, minutes, n, templates in EVENTS:
            for _ in range(n):
                when = start + timedelta(seconds=int(minutes * 60 * self.rng.beta(1.6, 1.6)))
                author = self.pool_author(lang)
                text = self.fill(self.draw(("event", lang, start), templates), lang, author[1], when=when)
                self.add(when, self.vary(text, lang, author[1], "noise", cat="event"), lang, author, 0)

    def make_scattered(self, per_lang: int = 26) -> None:
        for lang in ("en", "de", "zh"):
            for _ in range(per_lang):
                when = self.noise_time(lang)
                author = self.pool_author(lang) if self.chance(0.5) else self.new_author(lang)
                text = self.fill(self.draw(("scattered", lang), SCATTERED[lang]), lang, author[1], when=when)
                self.add(when, self.vary(text, lang, author[1], "issue"), lang, author, 1)

    def make_noise(self, lang: str, n: int) -> None:
        cats = list(NOISE_WEIGHTS)
        w = np.array([NOISE_WEIGHTS[c] for c in cats])
        w = w / w.sum()
        official = {"en": ("@Velonet", "twitter"), "de": ("@Velonet_DE", "twitter"), "zh": ("维络官方微博", "weibo")}
        bots = {"en": [("@deals4u_2026", "twitter"), ("@cashflow_kim88", "twitter")],
                "de": [("@nebenjob_jetzt", "twitter"), ("Krypto Karl", "facebook")],
                "zh": [("兼职日结小助手", "weibo"), ("好物推荐官8090", "weibo")]}
        for a in list(official.values()) + [b for bl in bots.values() for b in bl]:
            self.used_authors.add(a[0])
        # official ads are posted again and again with the same text (exact duplicates)
        fixed_ads = [self.fill(t, lang, official[lang][1]) for t in NOISE[lang]["ad"][:4]]
        fixed_spam = [self.fill(t, lang, bots[lang][0][1]) for t in NOISE[lang]["spam"]]
        for _ in range(n):
            cat = cats[int(self.rng.choice(len(cats), p=w))]
            when = self.noise_time(lang)
            if cat == "spam":
                self.add(when, self.choice(fixed_spam), lang, self.choice(bots[lang]), 0)
                continue
            if cat == "ad" and self.chance(0.5):
                self.add(when, self.choice(fixed_ads), lang, official[lang], 0)
                continue
            author = self.pool_author(lang) if cat != "ad" else self.new_author(lang)
            bank = NOISE[lang][cat] if cat != "ad" else [t for t in NOISE[lang]["ad"] if "{brand}" not in t and "维络" not in t]
            if cat == "chatter" and self.chance(0.5):
                text = self.fill(_compose_chatter(self, lang), lang, author[1], when=when)
            elif cat == "joke" and self.chance(0.5):
                text = _compose_joke(self, lang)
            else:
                text = self.fill(self.draw(("noise", lang, cat), bank), lang, author[1], when=when)
            if cat in ("chatter", "joke") and self.chance(0.15):
                more = self.fill(self.choice(NOISE[lang]["chatter"]), lang, author[1], when=when)
                sep = "" if lang == "zh" else (" " if text[-1:] in ".!?…" or not text[-1:].isalnum() else ". ")
                if lang == "zh" and text[-1:] not in "。！？～…":
                    sep = "。"
                if len(text) + len(more) < 150 and more != text:
                    text = text + sep + more
            if cat != "ad":
                text = self.vary(text, lang, author[1], "noise", cat=cat)
            self.add(when, text, lang, author, 0)

    def make_repeats(self) -> None:
        """A few people post the very same thing twice (double posts): exact duplicates."""
        picks = self.rng.choice(len(self.posts), size=18, replace=False)
        for i in sorted(int(p) for p in picks):
            p = self.posts[i]
            when = p["created_at"] + timedelta(seconds=int(self.rng.integers(20, 600)))
            if when < T1:
                self.add(when, p["text"], p["lang"], (p["author"], p["platform"]), p["label"], p["incident_id"])

    # ----------------------------------------------------------------- all of it
    def build(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        self.build_pools()
        incidents = self.make_incidents()
        self.make_events()
        self.make_scattered()
        per_lang = TARGET_TOTAL // 3
        for lang in ("en", "de", "zh"):
            have = sum(1 for p in self.posts if p["lang"] == lang)
            self.make_noise(lang, per_lang - have - 6)
        self.make_repeats()

        posts = pd.DataFrame(self.posts)
        posts = posts.sort_values("created_at", kind="mergesort").reset_index(drop=True)
        posts.insert(0, "id", [f"d{i:06d}" for i in range(1, len(posts) + 1)])
        posts["created_at"] = posts["created_at"].map(_iso)
        posts = posts[["id", "text", "created_at", "lang", "platform", "author", "label", "incident_id"]]
        inc = pd.DataFrame(incidents)
        inc.attrs["incident_noise"] = self.n_incident_noise
        return posts, inc


def _ends_emoji(text: str) -> bool:
    return any(ord(c) >= 0x2600 and not _CJK.match(c) and c not in "，。！？：；（）【】～…“”" for c in text[-3:])


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# =========================================================================== writers

def _yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def routes_yaml() -> str:
    lines = ["# Routing teams for the socialnlp demo stream (fictional provider Velonet / 维络).",
             "# Written by data/make_demo.py; each team has a description and example posts or keywords (en/de/zh).",
             "teams:"]
    for team, (desc, examples) in ROUTES.items():
        lines.append(f"  {team}:")
        lines.append(f"    description: {_yaml_str(desc)}")
        lines.append("    examples:")
        lines.extend(f"      - {_yaml_str(e)}" for e in examples)
    return "\n".join(lines) + "\n"


def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, r in df.iterrows():
        out.append("| " + " | ".join(str(r[c]) for c in cols) + " |")
    return "\n".join(out)


def readme(posts: pd.DataFrame, inc: pd.DataFrame) -> str:
    by_lang = posts.groupby("lang")["label"].agg(posts="size", issue="sum")
    by_lang["noise"] = by_lang["posts"] - by_lang["issue"]
    by_lang = by_lang.reindex(["en", "de", "zh"]).reset_index()
    total = pd.DataFrame([dict(lang="all", posts=len(posts), issue=int(posts["label"].sum()),
                               noise=int((posts["label"] == 0).sum()))])
    by_lang = pd.concat([by_lang, total], ignore_index=True)
    by_plat = posts["platform"].value_counts().sort_index()

    rows = []
    for _, r in inc.iterrows():
        sub = posts[posts["incident_id"] == r["incident_id"]]
        langs = sub["lang"].value_counts()
        rows.append(dict(
            incident_id=r["incident_id"], team=r["team"], start=_iso(r["start"]),
            first_report=sub["created_at"].min(), declared=_iso(r["declared"]),
            posts=len(sub), authors=sub["author"].nunique(),
            langs=" ".join(f"{lg} {int(langs.get(lg, 0))}" for lg in ("de", "en", "zh") if langs.get(lg, 0)),
            title=r["title"]))
    inc_table = pd.DataFrame(rows)
    unrelated_issue = int(((posts["label"] == 1) & (posts["incident_id"] == "")).sum())
    rts = int(posts["text"].str.startswith("RT @").sum())
    reposts = int(posts["text"].str.contains("//@", regex=False).sum())
    dup_rows = int(posts["text"].duplicated(keep=False).sum())

    return f"""# Demo stream

An illustrative stream of social media posts, **written for this project**. It is
synthetic: the company (Velonet, Chinese 维络, help accounts @VelonetHelp,
@VelonetHilfe, @维络客服, site velonet.example) and every author are invented, and no
post was taken from a real platform. Any likeness to real accounts is chance.

Regenerate it (deterministic, byte-identical on every run; standard library, numpy
and pandas only, no network):

```
python data/make_demo.py
```

## Files

- `posts.csv`: the posts table in the data contract: `id`, `text`, `created_at`
  (ISO-8601 UTC with `Z`), `lang` (en/de/zh), `platform` (twitter/weibo/facebook/forum),
  `author`, `label` (1 = issue, 0 = noise), `incident_id` (empty unless the post reports
  one of the incidents). Sorted by `created_at`.
- `incidents.csv`: `incident_id`, `start` (onset), `declared` (status-page
  acknowledgement, 20-90 minutes after the first report), `title`, `team`.
- `routes.yaml`: the teams alerts are routed to, each with a `description` and
  `examples` (under a top-level `teams:` key).

## What is in it

Time span: {posts['created_at'].min()} to {posts['created_at'].max()} (2026-03-03T00:00Z to
2026-03-05T00:00Z, two days), {len(posts)} posts, {posts['author'].nunique()} distinct authors.

{_md_table(by_lang)}

Platforms: {", ".join(f"{k} {v}" for k, v in by_plat.items())}.

- **Noise** (label 0): everyday chatter, praise ("Neue App-Version ist super"), ads
  and spam (official ads and spam are reposted verbatim), opinion, news commentary,
  jokes and metaphors with fault words ("My brain crashed halfway through this exam",
  "这场考试简直是灾难", "Mein Dienstag ist ein Totalausfall"), posted with a daily rhythm
  in each writer's local time (de UTC+1, zh UTC+8, en UTC+0 or UTC-5). Three bursts
  of noise that are no incident: a German football evening (2026-03-03 ~19:40-21:45Z,
  "Der Schiri ist heute eine einzige Katastrophe"), the Lantern Festival on Weibo
  (2026-03-03 ~10:30-14:50Z) and an English phone launch (2026-03-04 16:00-18:00Z).
  {inc.attrs.get("incident_noise", 0)} noise posts are about the incidents (jokes, "hope they fix it soon lol"):
  label 0, no `incident_id`.
- **Scattered complaints** (label 1, no `incident_id`): {unrelated_issue} genuine
  single-user reports (a power cut, a broken lift, a double charge), never a burst.
- **Incidents** (label 1, with `incident_id`): onset, a few first reports, a burst from
  many distinct authors, follow-ups from some of them, decay. Retweets of viral posts:
  {rts} posts starting "RT @" (broadband and app crash); {reposts} Weibo reposts
  ("//@奶茶续命中:...") in the payment incident. The login outage recurs on day 2 under
  its own id, with similar posts (for linking an alert to a past incident).
  `sms-code-delay` has 5 posts and **should not alert**.
- {dup_rows} rows share their exact text with another row (retweets, reposted ads and
  spam, short "me too" posts, a few double posts).

## Incidents

{_md_table(inc_table)}
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--out", default=str(Path(__file__).resolve().parent / "demo"),
                    help="output folder (default: data/demo next to this script)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    posts, inc = Demo().build()
    inc_out = inc[["incident_id", "start", "declared", "title", "team"]].copy()
    inc_out["start"] = inc_out["start"].map(_iso)
    inc_out["declared"] = inc_out["declared"].map(_iso)

    posts.to_csv(out / "posts.csv", index=False, lineterminator="\n", encoding="utf-8")
    inc_out.to_csv(out / "incidents.csv", index=False, lineterminator="\n", encoding="utf-8")
    (out / "routes.yaml").write_text(routes_yaml(), encoding="utf-8", newline="\n")
    (out / "README.md").write_text(readme(posts, inc), encoding="utf-8", newline="\n")

    print(f"wrote {out}/posts.csv ({len(posts)} posts), incidents.csv ({len(inc_out)}), routes.yaml, README.md")
    print(f"span {posts['created_at'].min()} .. {posts['created_at'].max()}, "
          f"{posts['author'].nunique()} authors")
    print(pd.crosstab(posts["lang"], posts["label"], margins=True).to_string())
    counts = posts[posts["incident_id"] != ""].groupby("incident_id").agg(
        posts=("id", "size"), authors=("author", "nunique"), first=("created_at", "min"))
    print(inc_out.set_index("incident_id")[["start", "declared", "team"]].join(counts).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
