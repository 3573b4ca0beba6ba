from socialnlp.text import dedup_key, detect_languages, is_retweet, normalize_text, tokenize


def test_normalize_keeps_hashtag_words_and_masks_links_and_handles():
    assert normalize_text("RT @db_bahn: Zug fällt aus!!!! #Stromausfall https://t.co/x") == "Zug fällt aus! Stromausfall URL"
    assert normalize_text("@中国电信客服 #宽带故障# 断网了") == "宽带故障 断网了"
    assert normalize_text("@中国电信客服 断网了", mentions="mask") == "@user 断网了"
    assert normalize_text("soooooo slow") == "sooo slow"


def test_retweets_and_copies_share_a_dedup_key():
    assert is_retweet("RT @x: the app is down")
    assert dedup_key("RT @x: The app is DOWN!! https://t.co/a") == dedup_key("the app is down")


def test_language_detection_on_short_posts():
    assert detect_languages(["宽带断了一上午", "Gibt Ihre Site 500 Fehler aus?", "app keeps crashing since the update",
                             "Das WLAN im ICE geht nicht", "c'est la vie mon ami, tout va bien"]) == ["zh", "de", "en", "de", "other"]


def test_keywords_per_language():
    assert tokenize("宽带断了一上午，客服电话也打不通", "zh") == ["宽带", "断", "一上午", "客服", "电话", "打", "不通"]
    assert tokenize("Seit heute morgen kein Internet, Fehler 500!", "de") == ["morgen", "internet", "fehler", "500"]
    assert "the" not in tokenize("The app is down", "en")


def test_chinese_posts_keep_latin_words_whole_as_german_and_english_do():
    # jieba-rs (rjieba) segments Chinese; a hyphenated Latin word stays one token, as WORD finds
    # it in German and English posts (jieba split "wi-fi" into "wi" and "fi")
    assert tokenize("酒店的wi-fi又断了", "zh") == ["酒店", "wi-fi", "断"]
    assert tokenize("Das Wi-Fi im Hotel ist weg", "de") == ["wi-fi", "hotel", "weg"]


def test_mentions_after_chinese_text_are_dropped_but_emails_stay():
    assert normalize_text("给@维络客服 看看，断网了") == "给 看看,断网了"
    assert normalize_text("write to help@velonet.example") == "write to help@velonet.example"


def test_english_stop_words_are_scikit_learns():
    # a copy, so tokenising needs no import of scikit-learn (a second of CPU in a fresh process)
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from socialnlp.text.tokenize import ENGLISH_STOP_WORDS as ours

    assert ours == ENGLISH_STOP_WORDS
