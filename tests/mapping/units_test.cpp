#include "mapping/units.hpp"

#include <gtest/gtest.h>

namespace ibd::mapping {
namespace {

TEST(Units, CrpMilligramsPerDecilitreToPerLitre) {
  EXPECT_DOUBLE_EQ(*convert_unit(1.2, "mg/dL", "mg/L"), 12.0);
  EXPECT_DOUBLE_EQ(*convert_unit(1.8, "mg/dl", "mg/L"), 18.0);
  EXPECT_DOUBLE_EQ(*convert_unit(12, "mg/L", "mg/dL"), 1.2);
}

TEST(Units, CalprotectinMgPerKgIsMicrogramsPerGram) {
  EXPECT_DOUBLE_EQ(*convert_unit(612, "mg/kg", "ug/g"), 612.0);
  EXPECT_DOUBLE_EQ(*convert_unit(612, "\xC2\xB5g/g", "ug/g"), 612.0);  // micro sign
  EXPECT_DOUBLE_EQ(*convert_unit(612, "\xCE\xBCg/g", "ug/g"), 612.0);  // Greek mu
  EXPECT_DOUBLE_EQ(*convert_unit(612, "mcg/g", "ug/g"), 612.0);
  EXPECT_DOUBLE_EQ(*convert_unit(612, "ug/g{feces}", "ug/g"), 612.0);
}

TEST(Units, DrugLevelMicrogramsPerMillilitreIsMilligramsPerLitre) {
  EXPECT_DOUBLE_EQ(*convert_unit(5.5, "mg/L", "ug/mL"), 5.5);
  EXPECT_DOUBLE_EQ(*convert_unit(5500, "ng/mL", "ug/mL"), 5.5);
}

TEST(Units, RefusesWhatItCannotConvert) {
  EXPECT_FALSE(convert_unit(5, "mmol/L", "mg/L"));
  EXPECT_FALSE(convert_unit(5, "mg/g", "mg/L"));  // mass/mass vs mass/volume
  EXPECT_FALSE(convert_unit(5, "", "mg/L"));
  EXPECT_FALSE(convert_unit(5, "U/mL", "ug/mL"));
  EXPECT_FALSE(convert_unit(5, "mg/L/d", "mg/L"));
}

TEST(Units, SameUnknownUnitConvertsToItself) {
  EXPECT_DOUBLE_EQ(*convert_unit(45, "U/mL", "U/mL"), 45);
}

TEST(Units, NormalisesSpelling) {
  EXPECT_EQ(normalise_unit("mg/dl"), "mg/dL");
  EXPECT_EQ(normalise_unit(" \xC2\xB5g/mL "), "ug/mL");
  EXPECT_EQ(display_unit("ug/g"), "\xC2\xB5g/g");
}

}  // namespace
}  // namespace ibd::mapping
