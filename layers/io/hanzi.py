"""Telling Big5 (traditional Chinese) from GBK/GB18030 (simplified) by what the text decodes into.

Both encodings use two bytes per character in overlapping byte ranges, so
Big5 text nearly always *decodes* as GB18030 (into other characters), and
much GBK text decodes as Big5: whether the bytes decode says little. What
they decode *into* says a lot. Real text is made of frequent characters; the
wrong decoding turns it into a random draw from the code table, mostly rare
characters, kana, box-drawing symbols or nothing at all. Each decoded
character falls in one of three classes, per candidate encoding:

``frequent``
    one of the ~1 100 characters that make up most of modern written Chinese
    and of land and infrastructure registers (:data:`FREQUENT_SIMPLIFIED`, and
    its traditional forms for Big5);
``common``
    in the standard's own list of frequently used characters — GB 2312 level 1
    (3 755 常用汉字) for GB18030, Big5 level 1 (5 401 常用國字) for Big5 — or
    common Chinese punctuation;
``other``
    anything else, including bytes that do not decode.

The evidence for an encoding is a log-likelihood ratio: each character of its
decoding adds ``log(P_right / P_wrong)`` of its class (:data:`CLASS_WEIGHTS`).
Evidence is counted over *distinct* values (a class name repeated on 10 000
records is one piece of evidence, not 10 000), and the confidence is the
logistic of the difference — the probability of the better encoding if the
two were equally likely before looking.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

#: Frequent characters of modern simplified Chinese (general text first, then the words of land, planning and
#: utility registers). Order does not matter; a character written twice counts once.
FREQUENT_SIMPLIFIED = (
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里用道行"
    "所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前开但因只从想实日军者意无力"
    "它与长把机十民第公此已工使情明性知全三又关点正业外将两高间由问很最重并物手应战向头文体政美相见被利什二等产"
    "或新己制身果加西斯月话合回特代内信表化老给世位次度门任常先海通教儿原东声提立及比员解水名真论处走义各入几口"
    "认条平系气题活尔更别打女变四神总何电数安少报才结反受目太量再感建务做接必场件计管期市直德资命山金指克许统区"
    "保至队形社便空决治展马科司五基眼书非则听白却界达光放强即像难且权思王象完设式色路记南品住告类求据程北边死张"
    "该交规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组每济车亲极林服快办议往元英"
    "士证近失转夫令准布始怎呢存未远叫台单影具罗字爱击流备兵连调深商算质团集百需价花党华城石级整府离况亚请技际约"
    "示复病息究线似官火断精满支视消越器容照须九增研写称企八功吗包片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念"
    "六引历首医局突专费号尽另周较注语仅考落青随选列武红响虽推势参希古众构房半节土投某案黑维革划敌致陈律足态护七"
    "兴派孩验责营星够章音跟志底站严巴例防族供效续施留讲型料终答紧黄绝奇察母京段依批群项故按河米围江织害斗双境客"
    "纪采举杀攻父苏密低朝友诉止细愿千值仍男钱破网热助倒育属坐帝限船脸职速刻乐否刚威毛状率甚独球般普怕弹校苦创假"
    "久错承印晚兰试股拿脑预谁益阳若哪微尼继送急血惊伤素药适波夜省初喜卫源食险待述陆习置居劳财环排福纳欢雷警获模"
    "充负云停木游龙树疑层冷洲冲射略范竟句室异激汉村哈策演简卡罪判担州静退既衣您宗积余痛检差富灵协角占配征修皮挥"
    "胜降阶审沉坚善妈刘读啊超免压银买皇养伊怀执副乱抗犯追帮宣佛岁航优怪香著田铁控税左右份穿艺背阵草脚概恶块顿敢"
    "守酒岛托央户烈洋哥索胡款靠评版宝座释景顾弟登货互付伯慢欧换闻危忙核暗姐介坏讨丽良序升监临亮露永呼味野架域沙"
    "掉括舰鱼杂误湾吉减编楚肯测败屋跑梦散温困剑渐封救贵枪缺楼县尚毫移"
    # land, planning, utilities, industry and the field names of registers
    "亩顷园厂仓储拨租赁签污雨燃缆桥涵绿坪宅铺库闸泵井阀栋幢街巷镇乡港闲拆迁违耕矿滞洪坡墓塔杆灯桩厕垃圾纺钢铝汽"
    "肥塑胶玻璃纸刷材饮烟鞋仪械孵筑详码牧渔输殊湿滩盐碱沼泽裸岩砂砾渠坑塘堤坝埂纤径埋起终址幅宽竣坐权证业主"
)

#: Traditional forms of the frequent characters whose traditional form differs (simplified, traditional).
_TRADITIONAL_PAIRS = (
    "这這个個们們来來为為国國说說时時会會对對于於着著过過发發后後里裡种種经經么麼学學现現当當没沒动動还還进進样樣"
    "开開从從实實军軍无無与與长長机機关關点點业業将將两兩间間问問并並应應战戰头頭体體见見产產话話内內给給门門儿兒"
    "东東声聲员員论論处處义義几幾认認条條气氣题題尔爾别別变變总總电電数數报報结結务務场場计計资資许許统統区區队隊"
    "决決马馬书書则則听聽达達强強难難权權设設记記类類据據边邊张張该該规規万萬觉覺术術领領确確传傳师師观觀让讓识識"
    "带帶导導争爭运運飞飛风風联聯组組济濟车車亲親极極办辦议議证證转轉准準远遠单單罗羅爱愛击擊备備连連调調质質团團"
    "价價党黨华華级級离離况況亚亞请請际際约約复復线線断斷满滿视視须須写寫称稱吗嗎轻輕农農装裝广廣显顯标標谈談图圖"
    "历歷医醫专專费費号號尽盡较較语語仅僅随隨选選红紅响響虽雖势勢参參众眾构構节節维維划劃敌敵陈陳态態护護兴興验驗"
    "责責营營够夠严嚴续續讲講终終紧緊黄黃绝絕项項围圍织織斗鬥双雙纪紀采採举舉杀殺苏蘇诉訴细細愿願钱錢网網热熱属屬"
    "脸臉职職乐樂刚剛状狀独獨弹彈创創错錯兰蘭试試脑腦预預谁誰阳陽继繼惊驚伤傷药藥适適卫衛险險陆陸习習劳勞财財环環"
    "纳納欢歡获獲负負云雲龙龍树樹层層冲衝范範异異汉漢简簡担擔静靜积積余餘检檢灵靈协協征徵挥揮胜勝阶階审審坚堅妈媽"
    "刘劉读讀压壓银銀买買养養怀懷执執乱亂帮幫岁歲优優铁鐵税稅艺藝阵陣脚腳恶惡块塊顿頓岛島户戶评評宝寶释釋顾顧货貨"
    "欧歐换換闻聞坏壞讨討丽麗监監临臨舰艦鱼魚杂雜误誤湾灣减減编編测測败敗梦夢温溫剑劍渐漸贵貴枪槍楼樓县縣"
    "亩畝顷頃园園厂廠仓倉储儲拨撥赁賃签簽缆纜桥橋绿綠铺鋪库庫闸閘阀閥栋棟镇鎮乡鄉闲閒迁遷违違矿礦滞滯灯燈桩樁厕廁"
    "纺紡钢鋼铝鋁胶膠纸紙仪儀筑築详詳码碼渔漁输輸湿濕滩灘盐鹽碱鹼泽澤砾礫坝壩纤纖径徑终終宽寬却卻饮飲烟煙"
)
_TRADITIONAL = dict(zip(_TRADITIONAL_PAIRS[0::2], _TRADITIONAL_PAIRS[1::2], strict=True))
FREQUENT_TRADITIONAL = "".join(_TRADITIONAL.get(ch, ch) for ch in FREQUENT_SIMPLIFIED)

#: The Big5 codec: Microsoft's code page 950, Big5 as Windows writes it (with the seven ETEN characters
#: 碁銹裏墻恒粧嫺 that plain Big5 lacks).
BIG5 = "cp950"
#: Candidate encodings of Chinese text that is not UTF-8, and the script each is for.
SCRIPTS = {"gb18030": "simplified Chinese", BIG5: "traditional Chinese"}

#: Share of each class among the characters of text decoded right, and decoded wrong (a random draw
#: from the other table: frequent characters are ~1 100 of ~13 000–22 000 codes, level 1 a third to a
#: sixth of them, the rest rare, symbols or undecodable). Registers are written almost entirely in
#: frequent and level-1 characters; the numbers only need the right order of magnitude, and the
#: log ratio of each class is what counts: frequent +2.0, common −0.5, other −3.9.
CLASS_SHARES = {"frequent": (0.75, 0.10), "common": (0.24, 0.40), "other": (0.01, 0.50)}
CLASS_WEIGHTS = {name: math.log(right / wrong) for name, (right, wrong) in CLASS_SHARES.items()}


def _two_byte_characters(codec: str, leads: range, trails: list[int]) -> set[str]:
    out = set()
    for lead in leads:
        for trail in trails:
            try:
                out.add(bytes([lead, trail]).decode(codec))
            except UnicodeDecodeError:
                continue
    return out


def _punctuation() -> np.ndarray:
    """Common Chinese punctuation: CJK symbols (、。「」《》…), full-width forms, dashes and dots."""
    return np.r_[np.arange(0x3000, 0x3040), np.arange(0xFF00, 0xFFF0), np.arange(0x2010, 0x2028), 0x00B7]


@cache
def _class_tables(codec: str) -> tuple[np.ndarray, np.ndarray]:
    """(frequent code points, common code points), sorted, for ``codec``."""
    if codec in (BIG5, "big5"):
        # Big5 level 1 (常用國字): 0xA440–0xC67E; trail bytes 0x40–0x7E and 0xA1–0xFE.
        level1 = _two_byte_characters(BIG5, range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)])
        frequent = FREQUENT_TRADITIONAL
    else:
        # GB 2312 level 1 (一级汉字): rows 16–55, bytes 0xB0A1–0xD7F9.
        level1 = _two_byte_characters("gb2312", range(0xB0, 0xD8), list(range(0xA1, 0xFF)))
        frequent = FREQUENT_SIMPLIFIED
    frequent_points = np.unique(np.fromiter(map(ord, frequent), dtype=np.int64))
    common_points = np.unique(np.r_[np.fromiter(map(ord, level1), dtype=np.int64), _punctuation()])
    return frequent_points, common_points


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def evidence(values: list[bytes], codec: str) -> tuple[float, int]:
    """Log-likelihood evidence that ``values`` (raw bytes) are text in ``codec``; and its undecodable values."""
    frequent, common = _class_tables(codec)
    points = []
    undecodable = 0
    for value in values:
        text = value.decode(codec, errors="replace")
        undecodable += "\ufffd" in text
        points.append(_code_points(text))
    codes = np.concatenate(points) if points else np.zeros(0, dtype=np.int64)
    codes = codes[codes > 0x7F]
    n_frequent = int(np.isin(codes, frequent).sum())
    n_common = int(np.isin(codes, common).sum()) - int(np.isin(codes, np.intersect1d(frequent, common)).sum())
    n_other = len(codes) - n_frequent - n_common
    score = (n_frequent * CLASS_WEIGHTS["frequent"] + n_common * CLASS_WEIGHTS["common"]
             + n_other * CLASS_WEIGHTS["other"])
    return score, undecodable


@dataclass(frozen=True)
class ScriptGuess:
    """The better of GB18030 and Big5 for some text, with the probability that it is the right one."""

    codec: str
    other: str
    confidence: float

    @property
    def script(self) -> str:
        return SCRIPTS[self.codec]


def guess_script(values: list[bytes]) -> ScriptGuess:
    """GB18030 or Big5 for ``values`` (distinct raw non-ASCII values), and the confidence (0.5 … 1).

    With no evidence either way (no non-ASCII characters) the answer is GB18030
    (mainland files are the common case) at confidence 0.5.
    """
    gb, _ = evidence(values, "gb18030")
    big5, _ = evidence(values, BIG5)
    difference = big5 - gb
    # Logistic of the log-likelihood ratio, computed without overflow.
    confidence = 1.0 / (1.0 + math.exp(-abs(difference))) if abs(difference) < 700 else 1.0
    if difference > 0:
        return ScriptGuess(BIG5, "gb18030", confidence)
    return ScriptGuess("gb18030", BIG5, confidence)


__all__ = ["BIG5", "CLASS_WEIGHTS", "FREQUENT_SIMPLIFIED", "FREQUENT_TRADITIONAL", "SCRIPTS", "ScriptGuess", "evidence",
           "guess_script"]
