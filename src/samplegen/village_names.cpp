// relocplan-samplegen: fictional place names: the syllable tables (common,
// mountain, valley and basin syllables, suffixes, township names) and the
// choice of a unique village name for a class of place.

#include "villages.hpp"

namespace relocplan::samplegen {

const std::vector<std::string> kCommonA = {
    "岩", "坡", "大", "小", "高", "新", "老", "水", "石", "龙", "马", "牛", "羊", "平", "上",
    "下", "中", "沙", "白", "黑", "红", "青", "干", "麻", "杨", "王", "李", "陈", "罗", "吴",
    "韦", "蒙", "岑", "花", "竹", "松", "茶", "桃", "梨", "鸡", "纳", "者", "板", "拉", "弄",
    "打", "摆", "甲", "董", "谷", "那", "坝", "冷", "凉", "长", "双", "三", "半", "银", "金"};
const std::vector<std::string> kCommonB = {
    "脚", "头", "坪", "井", "寨", "湾", "坡", "冲", "坝", "洞", "山", "岭", "田", "塘", "桥",
    "口", "坳", "垭", "箐", "槽", "窝", "场", "屯", "堡", "林", "庄", "河", "沟", "岗", "院",
    "边", "阳", "峰", "岩", "关", "洒", "翁", "纳", "平", "合"};
const std::vector<std::string> kMountainA = {"高", "上", "岩", "坡", "石", "冷", "凉", "半", "鹰",
                                             "猴", "云", "雾", "青", "顶", "尖", "陡", "老"};
const std::vector<std::string> kMountainB = {"坡", "岭", "坳", "垭", "箐", "山", "顶", "岩",
                                             "洞", "窝", "峰", "梁", "崖", "关"};
const std::vector<std::string> kValleyA = {"河", "水", "沙", "下", "大", "龙", "渡", "柳",
                                           "溪", "滩", "桥", "清", "湾", "鱼"};
const std::vector<std::string> kValleyB = {"坝", "湾", "口", "边", "桥", "井", "田", "塘",
                                           "滩", "沟", "溪", "渡", "坪"};
const std::vector<std::string> kBasinA = {"大", "新", "平", "中", "龙", "马", "王", "杨",
                                          "长", "坝", "田", "和", "丰", "兴"};
const std::vector<std::string> kBasinB = {"坝", "场", "坪", "田", "堡", "屯", "院", "庄", "街"};
const std::vector<std::string> kSuffix = {"寨", "湾", "冲", "坪", "坡", "坝", "沟"};
const std::vector<std::string> kTownExtra = {"岚坪", "雾岭", "松坳", "云洞", "杉坪", "梨坝", "茶岭", "竹垭",
                                             "凤岭", "鹰岩", "石笋", "银溪", "金竹", "桃坳", "青杠", "白岩",
                                             "枫坳", "柳坪", "纳坳", "板溪", "谷岚", "翁岭", "岩门", "沙坳"};
const std::vector<std::string> kTownAnimals = {"龙", "羊", "马", "牛", "鸡", "兔", "猴", "猪", "狗", "鼠", "虎", "蛇"};

const std::string& pick(const std::vector<std::string>& v, Rng& rng) {
  return v[static_cast<size_t>(rng.irange(0, static_cast<int64_t>(v.size()) - 1))];
}

std::string makeVillageName(int cls, Rng& rng, const std::set<std::string>& used) {
  for (int attempt = 0; attempt < 60; ++attempt) {
    const bool special = rng.chance(0.55);
    std::string a;
    std::string b;
    if (special && cls == kMountain) {
      a = pick(kMountainA, rng);
      b = pick(kMountainB, rng);
    } else if (special && cls == kValley) {
      a = pick(kValleyA, rng);
      b = pick(kValleyB, rng);
    } else if (special && cls == kBasin) {
      a = pick(kBasinA, rng);
      b = pick(kBasinB, rng);
    } else {
      a = pick(kCommonA, rng);
      b = pick(kCommonB, rng);
    }
    if (a == b) continue;
    std::string name;
    if (rng.chance(0.78)) {
      name = a + b + "村";
    } else {
      const std::string& s = pick(kSuffix, rng);
      if (s == b || s == a) continue;
      name = a + b + s;
    }
    if (attempt >= 30) name = a + b + pick(kCommonB, rng) + "村";
    if (used.count(name) == 0) return name;
  }
  // fall back on a numbered name
  for (int k = 2;; ++k) {
    const std::string name = pick(kCommonA, rng) + pick(kCommonB, rng) + std::to_string(k) + "村";
    if (used.count(name) == 0) return name;
  }
}

}  // namespace relocplan::samplegen
