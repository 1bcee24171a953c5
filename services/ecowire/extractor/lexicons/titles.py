"""Official titles: the words that stand between an organisation and a person's name."""

from __future__ import annotations

from . import words

# Base title words. Prefixes (副, 常务副, 党组, 首席 ...) are combined with them in `TITLES`.
_BASE = words("""
部长 厅长 局长 司长 处长 科长 署长 主任 书记 委员 主席 总理 省长 市长 区长 县长 镇长 乡长 村长
州长 首相 总统 大使 总领事 领事 参赞 秘书长 理事长 会长 院长 所长 校长 董事长 董事 总经理 经理
总裁 总监 总工程师 工程师 主管 负责人 代表 研究员 教授 讲师 博士 专家 主编 记者 顾问 特使 巡视员
督察长 干事 创始人 合伙人 委员长 组长 队长 行长 站长 馆长 台长 社长 总编辑 发言人 执行官
首席执行官 首席经济学家 首席科学家 经济学家 科学家 分析师 高级研究员 助理研究员 副研究员
主任委员 理事 监事 监事长 常委 议员 议长 部长助理 市长助理 局长助理 总经济师 总会计师 总农艺师
党委委员 党组成员 党组书记 党委书记 纪检组长 检察长 审判长 院士 法官 律师 会计师 规划师 总规划师
协调员 项目官员 项目经理 项目主任 项目负责人 总干事 执行主任 执行秘书 执行秘书长 执行董事
执行总裁 总代表 首席代表 副总 区域主任 国别主任 司令 政委 镇党委书记 村支书 支部书记 网格员
志愿者 联合创始人
""")

_PREFIXES = ("", "副", "常务副", "常务", "首席", "党组", "党委", "执行", "名誉", "代理", "前", "原",
             "驻华", "高级", "资深", "一级", "二级", "总", "荣誉")

TITLES: frozenset[str] = frozenset(p + b for b in _BASE for p in _PREFIXES if len(p + b) <= 8)
MAX_TITLE_LEN = max(len(t) for t in TITLES)

# Honorifics written after a name (彭奎博士, 樊维诺先生). 先生/女士 are not titles.
TRAILING_TITLES: frozenset[str] = frozenset({"博士", "教授", "院士", "研究员", "副教授", "工程师", "律师"})
HONORIFICS: frozenset[str] = frozenset({"先生", "女士", "小姐", "同志", "阁下"})

# Words that may directly precede a name and say the person is named (记者张三, 摄影宁杰文).
NAME_CUES_BEFORE: tuple[str, ...] = ("记者", "通讯员", "摄影", "撰文", "编辑", "作者", "主讲人", "嘉宾")
NAME_CUES_AFTER: tuple[str, ...] = ("摄", "供图", "报道")

# Verbs that follow a named speaker (程鹏指出, 侯远青分享了 ...): cue windows for the NER.
SPEECH_VERBS: tuple[str, ...] = (
    "表示", "指出", "介绍", "认为", "强调", "说", "分享", "主持", "致辞", "讲话", "发言", "提到",
    "提出", "建议", "回答", "解读", "呼吁", "坦言", "透露", "称", "谈到", "总结", "会见", "会晤", "出席",
    "参加", "陪同", "带队", "率团", "一行", "作了", "做了", "作报告", "发表",
)
