"""Domain words for the tokenizer (rjieba's dictionary splits 碳中和 into 碳中/和 and 住建部 into
住/建部): climate and environment terms, ministry and agency names and their common short forms,
and title words, each with the POS tag rjieba should give it."""

from __future__ import annotations

from . import words

TERMS = words("""
碳中和 碳达峰 碳排放 碳排放权 碳交易 碳市场 碳汇 碳足迹 碳普惠 碳金融 碳资产 碳配额 碳减排 减污降碳 降碳 减碳
双碳 温室气体 二氧化碳 甲烷 生物多样性 气候变化 气候投融资 绿色金融 清洁能源 新能源 可再生能源 光伏 储能
生态环境 生态文明 污染防治 节能降碳 能耗双控 碳强度 零碳 近零碳 低碳
""")
BODIES = words("""
生态环境部 国家发展改革委 国家发改委 发展改革委 发改委 工业和信息化部 工信部 住房和城乡建设部 住建部 自然资源部
财政部 交通运输部 水利部 农业农村部 商务部 科技部 科学技术部 外交部 教育部 民政部 司法部 应急管理部 国务院国资委
国资委 市场监管总局 国家市场监督管理总局 国家林草局 国家林业和草原局 国家能源局 中国气象局 国家统计局 国家税务总局
中国人民银行 人民银行 证监会 金融监管总局 全国人大 全国政协 人大常委会 生态环境厅 生态环境局 发展改革局 财政局
税务局 统计局 规划和自然资源局 住房和城乡建设局 交通运输局 市场监督管理局 科学技术局 工业和信息化局 商务局 林业局
""")
TITLE_WORDS = words("""
副部长 副局长 副厅长 副司长 副主任 副市长 副省长 副区长 副县长 副书记 党组书记 党组成员 党委书记 副总经理 副董事长
副院长 副所长 副校长 副秘书长 副理事长 副会长 副主席 首席代表 首席执行官 执行主任 秘书长
""")


def entries() -> list[tuple[str, str]]:
    """(word, POS) pairs to add to the tokenizer's dictionary."""
    return [(w, "n") for w in TERMS] + [(w, "nt") for w in BODIES] + [(w, "n") for w in TITLE_WORDS]
