#include "gateway/measures/check_codes.h"

#include <gtest/gtest.h>

namespace regline::measures {
namespace {

// The verified vectors of MEASURES.md.
const std::vector<std::string> kValidUsccs = {"91350100M000100Y43", "91110000802100433B"};
const std::vector<std::string> kValidIdNumbers = {"11010519491231002X", "440524188001010014"};

void ExpectRefused(const Status& status, const std::string& fragment, const std::string& input) {
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << input;
  EXPECT_NE(status.message().find(fragment), std::string::npos) << input << ": " << status.message();
}

// `text` with the character at `index` replaced by `c`.
std::string With(std::string text, size_t index, char c) {
  text[index] = c;
  return text;
}

TEST(MeasuresUsccTest, AcceptsTheVerifiedVectors) {
  for (const std::string& code : kValidUsccs) EXPECT_TRUE(CheckUscc(code).ok()) << CheckUscc(code).ToString();
}

TEST(MeasuresUsccTest, EveryOneCharacterChangeIsRefused) {
  const std::string allowed = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  for (const std::string& code : kValidUsccs) {
    for (size_t i = 0; i < code.size(); ++i) {
      for (char c : allowed) {
        if (c == code[i]) continue;
        EXPECT_FALSE(CheckUscc(With(code, i, c)).ok()) << With(code, i, c);
      }
    }
  }
}

TEST(MeasuresUsccTest, WrongCheckCharacterSaysWhichItShouldBe) {
  ExpectRefused(CheckUscc("91350100M000100Y44"), "check character should be '3', not '4'", "Y44");
  ExpectRefused(CheckUscc("91110000802100433C"), "check character should be 'B', not 'C'", "33C");
}

TEST(MeasuresUsccTest, WrongLengthsNameTheLength) {
  ExpectRefused(CheckUscc(""), "18 characters, not 0", "empty");
  ExpectRefused(CheckUscc("91350100M000100Y4"), "18 characters, not 17", "17");
  ExpectRefused(CheckUscc("91350100M000100Y433"), "18 characters, not 19", "19");
}

TEST(MeasuresUsccTest, ForbiddenCharactersNameTheirPosition) {
  for (char c : {'I', 'O', 'S', 'V', 'Z', 'm', '-'}) {
    const std::string code = With("91350100M000100Y43", 8, c);
    ExpectRefused(CheckUscc(code), "USCC character 9 '", code);
  }
  ExpectRefused(CheckUscc(With("91350100M000100Y43", 0, '\x01')), "character 1 0x01", "control");
  ExpectRefused(CheckUscc(With("91350100M000100Y43", 8, ' ')), "USCC character 9 0x20 is not allowed", "space");
  ExpectRefused(CheckUscc("91350100M000100Y4I"), "character 18 'I' is not allowed", "check I");
}

TEST(MeasuresIdNumberTest, AcceptsTheVerifiedVectors) {
  for (const std::string& number : kValidIdNumbers) {
    EXPECT_TRUE(CheckResidentIdNumber(number).ok()) << CheckResidentIdNumber(number).ToString();
  }
}

TEST(MeasuresIdNumberTest, EveryOneDigitChangeIsRefused) {
  for (const std::string& number : kValidIdNumbers) {
    for (size_t i = 0; i < number.size(); ++i) {
      for (char c : std::string("0123456789X")) {
        if (c == number[i] || (c == 'X' && i < 17)) continue;
        EXPECT_FALSE(CheckResidentIdNumber(With(number, i, c)).ok()) << i << " " << c;
      }
    }
  }
}

TEST(MeasuresIdNumberTest, RefusalsNeverRepeatTheNumber) {
  const std::vector<std::string> bad = {"11010519491231002",  "110105194912310021", "11010519491231002x",
                                        "1101051949123100AX", "110105194913310021", "110105179912310024"};
  for (const std::string& number : bad) {
    Status status = CheckResidentIdNumber(number);
    ASSERT_EQ(status.code(), StatusCode::kInvalidArgument) << number;
    EXPECT_EQ(status.message().find("1101051"), std::string::npos) << status.message();
    EXPECT_EQ(status.message().find("1949"), std::string::npos) << status.message();
  }
}

TEST(MeasuresIdNumberTest, RefusalsSayWhatIsWrong) {
  ExpectRefused(CheckResidentIdNumber("11010519491231002"), "18 characters, not 17", "short");
  ExpectRefused(CheckResidentIdNumber("11010519491231002XX"), "18 characters, not 19", "long");
  ExpectRefused(CheckResidentIdNumber("1101051949123100A2"), "character 17 is not a digit", "letter");
  ExpectRefused(CheckResidentIdNumber("11010519491231002x"), "capital 'X', not 'x'", "lower x");
  ExpectRefused(CheckResidentIdNumber("11010519491231002Y"), "character 18 must be a digit or 'X'", "Y");
  ExpectRefused(CheckResidentIdNumber("110105194912310021"), "check character (18) does not match", "check");
}

// Numbers with a correct check character whose birth date is not a day.
TEST(MeasuresIdNumberTest, ImpossibleBirthDatesAreRefused) {
  // 1949-13-31, 2023-02-29 and 1799-12-31, each with its right check character.
  for (const char* number : {"110105194913310021", "110105202302290022", "110105179912310024"}) {
    ExpectRefused(CheckResidentIdNumber(number), "digits 7-14 are not a real birth date", number);
  }
  EXPECT_TRUE(CheckResidentIdNumber("110105200002290021").ok()) << "2000-02-29 is a day";
}

TEST(MeasuresIdNumberTest, BirthDateOfReadsDigitsSevenToFourteen) {
  EXPECT_EQ(*BirthDateOf("11010519491231002X"), "1949-12-31");
  EXPECT_EQ(*BirthDateOf("440524188001010014"), "1880-01-01");
  EXPECT_EQ(BirthDateOf("440524188001010015").status().code(), StatusCode::kInvalidArgument);
}

TEST(MeasuresDateTest, ParseAcceptsRealDaysOnly) {
  EXPECT_EQ(*CivilDate::Parse("2024-02-29"), (CivilDate{2024, 2, 29}));
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-04-31", "2024-00-10", "2024-1-01", "20240101", "",
                          "2024-01-01 ", "2024/01/01", "２０２４-01-01"}) {
    EXPECT_EQ(CivilDate::Parse(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ((CivilDate{2026, 3, 1}).ToString(), "2026-03-01");
}

struct AgeCase {
  const char* birth;
  const char* on;
  int age;
};

TEST(MeasuresDateTest, AgeGoesUpOnTheBirthdayItself) {
  const std::vector<AgeCase> cases = {
      {"2010-03-01", "2026-02-28", 15}, {"2010-03-01", "2026-03-01", 16}, {"2010-03-01", "2026-03-02", 16},
      {"2008-03-01", "2026-03-01", 18}, {"2008-03-02", "2026-03-01", 17}, {"1949-12-31", "2024-05-01", 74},
      {"2026-03-02", "2026-03-01", -1},
  };
  for (const AgeCase& c : cases) {
    EXPECT_EQ(AgeOnDate(*CivilDate::Parse(c.birth), *CivilDate::Parse(c.on)), c.age) << c.birth << " " << c.on;
  }
}

TEST(MeasuresDateTest, LeapDayBirthsTurnOnTheFirstOfMarchInCommonYears) {
  const CivilDate birth = *CivilDate::Parse("2008-02-29");
  EXPECT_EQ(AgeOnDate(birth, *CivilDate::Parse("2024-02-28")), 15);
  EXPECT_EQ(AgeOnDate(birth, *CivilDate::Parse("2024-02-29")), 16);  // a leap year: the day itself
  EXPECT_EQ(AgeOnDate(birth, *CivilDate::Parse("2025-02-28")), 16);
  EXPECT_EQ(AgeOnDate(birth, *CivilDate::Parse("2026-02-28")), 17);
  EXPECT_EQ(AgeOnDate(birth, *CivilDate::Parse("2026-03-01")), 18);
}

TEST(MeasuresDateTest, StartDateIsTheCalendarDateInChinaStandardTime) {
  // 2026-02-28T16:00:00Z is 2026-03-01T00:00:00+08:00.
  EXPECT_EQ(ChinaStandardDateOf(1'772'294'400'000), (CivilDate{2026, 3, 1}));
  EXPECT_EQ(ChinaStandardDateOf(1'772'294'400'000 - 1), (CivilDate{2026, 2, 28}));
  // 2024-05-01T20:13:00+08:00 (the samples' kIssuedMs).
  EXPECT_EQ(ChinaStandardDateOf(1'714'565'580'000), (CivilDate{2024, 5, 1}));
  EXPECT_EQ(ChinaStandardDateOf(0), (CivilDate{1970, 1, 1}));
  EXPECT_EQ(ChinaStandardDateOf(-8 * 3'600'000 - 1), (CivilDate{1969, 12, 31}));
}

}  // namespace
}  // namespace regline::measures
